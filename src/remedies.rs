//! The remedy catalog (data: `signatures/remedies.toml`) rendered into [`Remedy`] values for
//! one diagnosis: OS-specific steps, the provider's status page, the page's host and the
//! retry delay filled in.

use crate::model::{Action, Audience, Remedy};
use crate::signatures::{render as message, ActionDef, MessageDef, RemedyDef, REMEDIES};

/// What a remedy needs to know about the situation it is rendered for.
#[derive(Debug, Default, Clone, Copy)]
pub struct RemedyContext<'a> {
    /// `runtime.getPlatformInfo().os` (`win`, `mac`, `linux`, `cros`, `android`); `None` =
    /// list every OS's steps.
    pub os: Option<&'a str>,
    /// Display name and status page of the provider the diagnosis names.
    pub provider: Option<(&'a str, &'a str)>,
    /// Host name of the failing page (for "down for everyone or just me").
    pub host: Option<&'a str>,
    /// The failing page's http(s) address without userinfo and fragment (for the saved copy
    /// in a web archive); see [`archive_url`].
    pub url: Option<&'a str>,
    /// How long the server asked to wait.
    pub retry_s: Option<u32>,
}

/// Default wait before a retry when the server did not say.
const DEFAULT_RETRY_S: u32 = 30;

/// One catalog entry rendered for `ctx`; `None` when it cannot apply (a status-page remedy
/// for a family without a status page).
pub fn render(def: &RemedyDef, ctx: &RemedyContext) -> Option<Remedy> {
    let provider = ctx.provider.map(|(n, _)| n.to_string()).unwrap_or_default();
    let delay = match def.action {
        ActionDef::AutoRetry(d) => ctx.retry_s.or(d).unwrap_or(DEFAULT_RETRY_S),
        _ => ctx.retry_s.unwrap_or(DEFAULT_RETRY_S),
    };
    let args = |m: &MessageDef| -> Vec<String> {
        if m.id.starts_with("remedy_check_provider_status") {
            vec![provider.clone()]
        } else if m.id.starts_with("remedy_wait_and_retry") {
            vec![delay.to_string()]
        } else {
            Vec::new()
        }
    };
    let mut steps: Vec<_> = def.steps.iter().map(|s| message(*s, &args(s))).collect();
    let known_os = ctx
        .os
        .filter(|os| def.os_steps.iter().any(|(o, _)| o == os));
    for (os, list) in def.os_steps {
        if known_os.is_none_or(|k| k == *os) {
            for s in list.iter() {
                // ChromeOS and Android share one step; list it once.
                if !steps.iter().any(|m| m.id == s.id) {
                    steps.push(message(*s, &[]));
                }
            }
        }
    }
    let action = match def.action {
        ActionDef::None => known_os.and_then(|os| {
            def.os_copy
                .iter()
                .find(|(o, _)| *o == os)
                .map(|(_, cmd)| Action::CopyText {
                    text: (*cmd).to_string(),
                })
        }),
        ActionDef::ReloadBypassCache => Some(Action::ReloadBypassCache),
        ActionDef::AutoRetry(_) => Some(Action::AutoRetry {
            delay_s: Some(delay),
        }),
        ActionDef::ClearSiteCache => Some(Action::ClearSiteCache),
        ActionDef::SignOutSite => Some(Action::SignOutSite),
        ActionDef::OpenPrivateWindow => Some(Action::OpenPrivateWindow),
        ActionDef::CopyText(t) => Some(Action::CopyText { text: t.into() }),
        ActionDef::CopyReport => Some(Action::CopyReport),
        ActionDef::OpenUrl("{status_page}") => match ctx.provider {
            Some((_, url)) => Some(Action::OpenUrl { url: url.into() }),
            None => return None,
        },
        ActionDef::OpenUrl(u) if u.contains("{host}") => ctx.host.map(|h| Action::OpenUrl {
            url: u.replace("{host}", h),
        }),
        // Without a page address the remedy has nothing to open: it is left out rather than
        // offered as a button that opens the archive's front page.
        ActionDef::OpenUrl(u) if u.contains("{url}") => match ctx.url.and_then(archive_url) {
            Some(page) => Some(Action::OpenUrl {
                url: u.replace("{url}", &page),
            }),
            None => return None,
        },
        ActionDef::OpenUrl(u) => Some(Action::OpenUrl { url: u.into() }),
    };
    Some(Remedy {
        id: def.id.into(),
        audience: def.audience,
        title: message(def.title, &args(&def.title)),
        steps,
        action,
    })
}

/// `url` as it may be handed to a third party when the visitor asks for it: http(s) only,
/// userinfo (a password in the address) and fragment removed, the query kept (it often names
/// the page: `?id=42`). `None` for anything else, or an address with spaces or control
/// characters (the browser never reports one; a hand-made observation might).
pub fn archive_url(url: &str) -> Option<String> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let rest = rest.split('#').next().unwrap_or("");
    let end = rest.find(['/', '\\', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host = authority
        .rfind('@')
        .map_or(authority, |i| &authority[i + 1..]);
    if host.is_empty() {
        return None;
    }
    Some(format!("{scheme}://{host}{tail}"))
}

/// The remedies at `indexes` (into the catalog), visitor ones first, each group in ranking
/// order; entries that cannot apply are left out.
pub fn ranked(indexes: &[u16], ctx: &RemedyContext) -> Vec<Remedy> {
    let all: Vec<Remedy> = indexes
        .iter()
        .filter_map(|&i| REMEDIES.get(i as usize))
        .filter_map(|d| render(d, ctx))
        .collect();
    let (mut visitor, owner): (Vec<_>, Vec<_>) = all
        .into_iter()
        .partition(|r| r.audience == Audience::Visitor);
    visitor.extend(owner);
    visitor
}

/// Everything the remedies of one diagnosis depend on: equal plans render equal remedies.
/// [`crate::classify::diagnose_planned`] returns it unrendered so that the WASM boundary can
/// prepare for the remedies it names before they are rendered (crates/worker interns their
/// built-in strings as JS strings the first time a plan names them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemedyPlan {
    /// Catalog indexes in ranking order.
    pub indexes: &'static [u16],
    pub os: Option<String>,
    pub provider: Option<(&'static str, &'static str)>,
    pub host: Option<String>,
    /// See [`RemedyContext::url`].
    pub url: Option<String>,
    pub retry_s: Option<u32>,
}

impl RemedyPlan {
    /// The ranked remedies (see [`ranked`]).
    pub fn render(&self) -> Vec<Remedy> {
        let ctx = RemedyContext {
            os: self.os.as_deref(),
            provider: self.provider,
            host: self.host.as_deref(),
            url: self.url.as_deref(),
            retry_s: self.retry_s,
        };
        ranked(self.indexes, &ctx)
    }
}

/// The whole catalog, every OS's steps, for the extension's help page. Remedies that need a
/// situation (the provider's status page) name a generic "CDN".
pub fn catalog() -> Vec<Remedy> {
    let ctx = RemedyContext {
        provider: Some(("CDN", "https://www.cloudflarestatus.com/")),
        url: Some("https://example.com/"),
        ..Default::default()
    };
    REMEDIES
        .iter()
        .filter_map(|d| render(d, &ctx))
        .map(|mut r| {
            // Situation-bound links (this provider's status page, this page's saved copy)
            // would name an example here; the help page lists the remedy without a button.
            if r.id == "check_provider_status" || r.id == "read_saved_copy" {
                r.action = None;
            }
            r
        })
        .collect()
}

/// Catalog entry by id.
pub fn by_id(id: &str) -> Option<&'static RemedyDef> {
    REMEDIES.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUE_IDS: &[&str] = &[
        "hard_refresh",
        "wait_and_retry",
        "check_site_status",
        "check_provider_status",
        "try_other_browser",
        "private_window",
        "try_other_device_or_network",
        "clear_site_cache",
        "flush_dns",
        "change_dns",
        "restart_router",
        "disable_extensions",
        "check_proxy_vpn_firewall",
        "contact_isp",
        "contact_site_owner",
    ];

    #[test]
    fn catalog_has_every_issue_remedy_and_owner_ones() {
        let cat = catalog();
        for id in ISSUE_IDS {
            assert!(cat.iter().any(|r| r.id == *id), "catalog lacks {id}");
        }
        let owners = cat.iter().filter(|r| r.audience == Audience::Owner).count();
        assert!(owners >= 8, "only {owners} owner remedies");
        for r in &cat {
            assert!(!r.title.text.is_empty() && !r.steps.is_empty(), "{}", r.id);
            assert!(r.steps.iter().all(|s| !s.text.contains('$')), "{}", r.id);
        }
    }

    #[test]
    fn flush_dns_is_per_os() {
        let def = by_id("flush_dns").unwrap();
        let all = render(def, &RemedyContext::default()).unwrap();
        assert!(all.steps.len() >= 5, "every OS listed when unknown");
        assert_eq!(all.action, None, "nothing to copy without an OS");
        for (os, cmd) in [
            ("win", "ipconfig /flushdns"),
            (
                "mac",
                "sudo dscacheutil -flushcache; sudo killall -HUP mDNSResponder",
            ),
            ("linux", "resolvectl flush-caches"),
        ] {
            let ctx = RemedyContext {
                os: Some(os),
                ..Default::default()
            };
            let r = render(def, &ctx).unwrap();
            assert_eq!(r.steps.len(), 2, "{os}: browser step + the OS's own");
            assert_eq!(r.action, Some(Action::CopyText { text: cmd.into() }));
        }
        let android = render(
            def,
            &RemedyContext {
                os: Some("android"),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(android.action, None);
    }

    #[test]
    fn context_fills_urls_and_delays() {
        let status = by_id("check_provider_status").unwrap();
        assert!(render(status, &RemedyContext::default()).is_none());
        let ctx = RemedyContext {
            provider: Some(("Cloudflare", "https://www.cloudflarestatus.com/")),
            host: Some("shop.example.com"),
            retry_s: Some(120),
            ..Default::default()
        };
        let r = render(status, &ctx).unwrap();
        assert!(r.title.text.contains("Cloudflare"));
        assert_eq!(
            r.action,
            Some(Action::OpenUrl {
                url: "https://www.cloudflarestatus.com/".into()
            })
        );
        let site = render(by_id("check_site_status").unwrap(), &ctx).unwrap();
        assert_eq!(
            site.action,
            Some(Action::OpenUrl {
                url: "https://downforeveryoneorjustme.com/shop.example.com".into()
            })
        );
        let wait = render(by_id("wait_and_retry").unwrap(), &ctx).unwrap();
        assert_eq!(wait.action, Some(Action::AutoRetry { delay_s: Some(120) }));
        assert!(wait.steps[0].text.contains("120 seconds"));
    }

    #[test]
    fn saved_copy_opens_the_page_in_the_archive_only_with_an_address() {
        let def = by_id("read_saved_copy").unwrap();
        // No address: no button that would open the archive's front page.
        assert!(render(def, &RemedyContext::default()).is_none());
        let ctx = RemedyContext {
            url: Some("https://user:secret@shop.example.com:8443/a/b?id=42#top"),
            ..Default::default()
        };
        assert_eq!(
            render(def, &ctx).unwrap().action,
            Some(Action::OpenUrl {
                url: "https://web.archive.org/web/2/https://shop.example.com:8443/a/b?id=42".into()
            })
        );
        for bad in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "https://",
            "https://a b/",
            "example.com",
        ] {
            let ctx = RemedyContext {
                url: Some(bad),
                ..Default::default()
            };
            assert!(render(def, &ctx).is_none(), "{bad}");
        }
        assert_eq!(archive_url("HTTP://h@x/p#f").as_deref(), Some("http://x/p"));
        assert_eq!(
            archive_url("https://h/p@q?x#y").as_deref(),
            Some("https://h/p@q?x")
        );
    }

    #[test]
    fn action_types_name_every_action_a_remedy_can_carry() {
        // The WASM module makes these JS strings once (crates/worker `intern_remedies`); a
        // type missing here would only be slower there, but the list claims to be complete.
        let mut seen = std::collections::BTreeSet::new();
        for def in REMEDIES {
            for os in [
                None,
                Some("win"),
                Some("mac"),
                Some("linux"),
                Some("cros"),
                Some("android"),
            ] {
                let ctx = RemedyContext {
                    os,
                    provider: Some(("CDN", "https://www.cloudflarestatus.com/")),
                    host: Some("example.com"),
                    url: Some("https://example.com/"),
                    retry_s: None,
                };
                if let Some(action) = render(def, &ctx).and_then(|r| r.action) {
                    let json = serde_json::to_value(&action).unwrap();
                    seen.insert(json["type"].as_str().unwrap().to_string());
                }
            }
        }
        let listed: std::collections::BTreeSet<String> = crate::signatures::ACTION_TYPES
            .iter()
            .map(|t| t.to_string())
            .collect();
        assert_eq!(seen, listed);
    }
}
