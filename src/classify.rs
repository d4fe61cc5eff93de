//! The classifier: status, headers and body in, [`Diagnosis`] out.
//!
//! 1. No status but a network error code → the `network` family (signatures/network.toml).
//! 2. 1xx–3xx → `ok`/`none`, whatever the body says: a page that *talks about* 502 or
//!    Cloudflare must never raise an alarm.
//! 3. Otherwise the body is normalised (normalize.rs) and scanned once by the phrase matcher
//!    (scan.rs) for every phrase of every signature plus the global anchors (code, retry,
//!    request-id phrases). Each signature whose status filter accepts the response sums the
//!    weights of its matching body/header rules (+2 for an accepted error status); those
//!    reaching `min_score` compete by (priority, has body evidence, score). The body outranks
//!    headers because headers pile up along the proxy chain (every response through Cloudflare
//!    says `server: cloudflare`), while the page is what the failing hop generated.
//! 4. Nothing fired → the first matching fallback (blank page, status only, …).

use crate::model::*;
use crate::normalize::{normalize, Normalized};
use crate::remedies::RemedyPlan;
use crate::scan::{scan, Scan};
use crate::signatures::{
    self as sig, render_message as message, status_in, BodyCond, HeaderOp, SignatureDef,
};

/// Points an accepted 4xx/5xx status adds to a signature that matched something else.
const STATUS_POINTS: i32 = 2;

/// Whether markup should be stripped: everything except an explicit plain-text/JSON type.
fn is_html(obs: &Observation) -> bool {
    match obs.header("content-type") {
        Some(ct) => {
            let ct = ct.trim().to_ascii_lowercase();
            !(ct.starts_with("text/plain") || ct.contains("json"))
        }
        None => true,
    }
}

/// Kind from the status (or the code when no status): the engine's default when a
/// signature does not fix it.
fn derived_kind(status: Option<u16>, code: Option<u32>) -> Kind {
    match status.map(u32::from).or(code) {
        Some(401 | 403 | 451) => Kind::Blocked,
        Some(400..=499) => Kind::ClientError,
        _ => Kind::ServerError,
    }
}

/// Ceiling on the confidence of a page that only looks like a vendor's (see `needs_header`).
const LOOKALIKE_CONFIDENCE: f32 = 0.45;

/// The side a 4xx status puts the failure on when no signature says otherwise: a request
/// too slow or too large is the visitor's (engine.toml `client_faults`), the rest the site's.
fn client_fault(status: Option<u16>) -> Fault {
    status
        .and_then(|st| sig::CLIENT_FAULTS.iter().find(|(c, _)| *c == st))
        .map_or(Fault::Site, |(_, f)| *f)
}

fn default_fault(kind: Kind, family: &sig::FamilyDef, status: Option<u16>) -> Fault {
    match kind {
        Kind::ServerError => family.fault,
        Kind::ClientError => client_fault(status),
        Kind::Blocked => Fault::Site,
        Kind::Challenge | Kind::Ok => Fault::None,
        Kind::NetworkError => Fault::Network,
    }
}

fn auto_message(code: Option<u32>, kind: Kind) -> &'static sig::AutoMessageDef {
    // A server error keeps server-error texts even when the page shows a 4xx or 1xxx code
    // (Azure's "Error 403 - This web app is stopped").
    let c = match (kind, code) {
        (Kind::ServerError, Some(c @ 500..=599)) => c as u16,
        (Kind::ServerError, _) => 500,
        (_, Some(c)) if c <= 999 => c as u16,
        _ => 0,
    };
    sig::AUTO_MESSAGES
        .iter()
        .find(|a| status_in(a.codes, c))
        .unwrap_or(&sig::AUTO_MESSAGES[sig::AUTO_MESSAGES.len() - 1])
}

/// The auto summary for a family: vendor-less families get the wording without a vendor name.
fn auto_summary(auto: &sig::AutoMessageDef, family: &sig::FamilyDef) -> &'static str {
    match family.id {
        "generic" | "blank" | "none" => auto.summary_site.unwrap_or(auto.summary),
        _ => auto.summary,
    }
}

fn code_variant(code: Option<u32>) -> Option<&'static str> {
    let c = code?;
    sig::CODE_VARIANTS
        .iter()
        .find(|(k, _)| *k == c)
        .map(|(_, v)| *v)
}

struct Fired {
    sig: usize,
    score: i32,
    body_hit: bool,
    /// One of the signature's header rules matched: network evidence, not page text.
    header_hit: bool,
    variant: Option<&'static str>,
    evidence: Vec<Evidence>,
}

/// The response headers, each value trimmed and lower-cased once: the signatures' header
/// rules test them dozens of times per diagnosis.
struct Headers<'a> {
    list: Vec<(&'a str, &'a str, String)>,
}

impl<'a> Headers<'a> {
    fn new(obs: &'a Observation) -> Headers<'a> {
        Headers {
            list: obs
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.as_str(),
                        h.value.as_str(),
                        h.value.trim().to_ascii_lowercase(),
                    )
                })
                .collect(),
        }
    }

    /// (original value, trimmed lower-case value) of the first header called `name`.
    fn get(&self, name: &str) -> Option<(&'a str, &str)> {
        self.list
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v, lower)| (*v, lower.as_str()))
    }
}

fn header_matches(rule: &sig::HeaderRule, v: &str) -> bool {
    match rule.op {
        HeaderOp::Present => !v.is_empty(),
        HeaderOp::Equals => v == rule.value,
        HeaderOp::Prefix => v.starts_with(rule.value),
        HeaderOp::Contains => v.contains(rule.value),
    }
}

fn evaluate(
    idx: usize,
    s: &SignatureDef,
    obs: &Observation,
    headers: &Headers,
    norm: &Normalized,
    sc: &Scan,
    body_allowed: bool,
) -> Option<Fired> {
    match obs.status {
        Some(st) if !status_in(s.status, st) => return None,
        None if !s.status_none => return None,
        _ => {}
    }
    if s.unless.iter().any(|&p| sc.has(p)) {
        return None;
    }
    if s.max_text.is_some_and(|m| norm.fold.len() > m as usize) {
        return None;
    }
    let mut f = Fired {
        sig: idx,
        score: 0,
        body_hit: false,
        header_hit: false,
        variant: None,
        evidence: Vec::new(),
    };
    if body_allowed {
        for rule in s.body {
            let hit: Option<String> = if rule.empty {
                (norm.visible == 0).then(|| "body: empty".to_string())
            } else if let Some(&p) = rule
                .patterns
                .iter()
                .filter(|&&p| sc.has(p))
                .min_by_key(|&&p| sc.first[p as usize])
            {
                f.body_hit = true;
                Some(format!("body: \"{}\"", sig::PATTERNS[p as usize]))
            } else if let Some(e) = rule.exact.iter().find(|e| norm.fold == **e) {
                f.body_hit = true;
                Some(format!("body is exactly \"{e}\""))
            } else {
                None
            };
            if let Some(detail) = hit {
                f.score += rule.weight;
                f.variant = f.variant.or(rule.variant);
                f.evidence.push(Evidence {
                    source: EvidenceSource::Body,
                    detail,
                    signature: Some(s.id.to_string()),
                });
            }
        }
    }
    for rule in s.headers {
        let Some((value, lower)) = headers.get(rule.name) else {
            continue;
        };
        if header_matches(rule, lower) {
            f.header_hit = true;
            f.score += rule.weight;
            f.variant = f.variant.or(rule.variant);
            f.evidence.push(Evidence {
                source: EvidenceSource::Header,
                detail: format!("{}: {}", rule.name, clip(value, 120)),
                signature: Some(s.id.to_string()),
            });
        }
    }
    if f.score > 0 && obs.status.is_some_and(|st| st >= 400) {
        f.score += STATUS_POINTS;
    }
    // Without a status only the page can say it is an error page: a `server: awselb/2.0`
    // header is on every response of that load balancer, good or bad.
    if obs.status.is_none() && !f.body_hit {
        return None;
    }
    (f.score >= s.min_score).then_some(f)
}

fn clip(s: &str, max: usize) -> &str {
    let s = s.trim();
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Classifies one observation. Never panics; every input gives a diagnosis.
pub fn diagnose(obs: &Observation) -> Diagnosis {
    let (mut d, plan) = diagnose_planned(obs);
    d.remedies = plan.render();
    d
}

/// [`diagnose`] with the remedies left unrendered (`remedies` is empty): the plan renders
/// them.
pub fn diagnose_planned(obs: &Observation) -> (Diagnosis, RemedyPlan) {
    let net_error = obs
        .net_error
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    if obs.status.is_none() {
        if let Some(code) = net_error {
            return network(obs, code);
        }
    }

    let mut evidence = Vec::new();
    if let Some(st) = obs.status {
        evidence.push(Evidence {
            source: EvidenceSource::Status,
            detail: match obs.status_line.as_deref().map(str::trim) {
                Some(l) if !l.is_empty() => format!("status {st} ({})", clip(l, 80)),
                _ => format!("status {st}"),
            },
            signature: None,
        });
    }
    if let Some(code) = net_error {
        evidence.push(Evidence {
            source: EvidenceSource::NetError,
            detail: clip(code, 80).to_string(),
            signature: None,
        });
    }

    // 1xx-3xx never reach the signatures, so a healthy page costs no normalisation at all.
    let informational = obs.status.is_some_and(|s| s < 400);
    let body = obs.body.as_deref().unwrap_or("");
    let norm = if informational {
        Normalized::default()
    } else {
        normalize(body, is_html(obs), sig::BODY_CAP)
    };
    if let Some(total) = norm.cut_from {
        evidence.push(Evidence {
            source: EvidenceSource::Limit,
            detail: format!(
                "body cut at {} of {total} bytes before matching",
                sig::BODY_CAP
            ),
            signature: None,
        });
    }
    if obs.body_truncated {
        evidence.push(Evidence {
            source: EvidenceSource::Limit,
            detail: "body was already truncated when it was read".into(),
            signature: None,
        });
    }

    let sc = if informational {
        None
    } else {
        Some(scan(&norm, body))
    };

    let mut best: Option<Fired> = None;
    if let Some(sc) = &sc {
        let body_allowed = obs.status.is_some() || norm.fold.len() <= sig::UNKNOWN_STATUS_MAX_TEXT;
        let headers = Headers::new(obs);
        for (i, s) in sig::SIGNATURES.iter().enumerate() {
            if let Some(f) = evaluate(i, s, obs, &headers, &norm, sc, body_allowed) {
                let key = |f: &Fired| (sig::SIGNATURES[f.sig].priority, f.body_hit, f.score);
                if best.as_ref().is_none_or(|b| key(&f) > key(b)) {
                    best = Some(f);
                }
            }
        }
    }

    let page_code = sc.as_ref().and_then(|s| s.page_code);
    let header_retry = retry_after_header(obs);
    let retry = header_retry.or(sc.as_ref().and_then(|s| s.retry_s));
    let (mut d, plan) = match best {
        Some(f) => from_signature(obs, f, page_code, retry, &mut evidence),
        None => from_fallback(obs, &norm, page_code, retry, &mut evidence),
    };

    // Ids, retry, remedies.
    let family_idx = sig::FAMILIES
        .iter()
        .position(|f| f.id == d.family)
        .unwrap_or(0);
    d.ids = ids(obs, sc.as_ref(), family_idx as u16);
    d.retry_after_s = retry;
    if let Some(r) = retry {
        evidence.push(Evidence {
            source: if header_retry.is_some() {
                EvidenceSource::Header
            } else {
                EvidenceSource::Body
            },
            detail: format!("retry after {r} s"),
            signature: None,
        });
    }
    d.evidence = evidence;
    (d, plan)
}

struct Plan {
    kind: Kind,
    family: &'static sig::FamilyDef,
    variant: Option<String>,
    code: Option<u32>,
    fault: Fault,
    confidence: f32,
    title: &'static str,
    summary: &'static str,
    remedies: &'static [u16],
    retry: Option<u32>,
}

fn finish(obs: &Observation, p: Plan) -> (Diagnosis, RemedyPlan) {
    let code_arg = match (p.code, p.kind) {
        (Some(c), _) => c.to_string(),
        (None, Kind::ServerError) => "5xx".into(),
        (None, Kind::Blocked | Kind::ClientError) => "4xx".into(),
        (None, _) => String::new(),
    };
    let args = [p.family.name.to_string(), code_arg];
    let plan = RemedyPlan {
        indexes: p.remedies,
        os: obs.os.clone(),
        provider: p.family.status_page.map(|u| (p.family.name, u)),
        host: host_of(&obs.url).map(str::to_string),
        url: Some(obs.url.clone()),
        retry_s: p.retry,
    };
    let d = Diagnosis {
        schema: SCHEMA,
        kind: p.kind,
        family: p.family.id.to_string(),
        variant: p.variant,
        code: p.code,
        fault: p.fault,
        confidence: (p.confidence * 100.0).round() / 100.0,
        title: message(p.title, &args),
        summary: message(p.summary, &args),
        evidence: Vec::new(),
        ids: Vec::new(),
        retry_after_s: None,
        remedies: Vec::new(),
        engine_version: crate::VERSION.into(),
        signatures_version: sig::VERSION.into(),
    };
    (d, plan)
}

fn from_signature(
    obs: &Observation,
    f: Fired,
    page_code: Option<u32>,
    retry: Option<u32>,
    evidence: &mut Vec<Evidence>,
) -> (Diagnosis, RemedyPlan) {
    let s = &sig::SIGNATURES[f.sig];
    let family = &sig::FAMILIES[s.family as usize];
    let status = obs.status.map(u32::from);
    // The badge and `code` show the real HTTP status whenever there is one: the status comes
    // from the network, the page is text the site chose (a 404 whose body is a copy of
    // Cloudflare's 521 page is a 404). The page's own code only names the variant
    // ("Error 1016" sent with 530) and stands in when no status is known.
    let code = status.or(page_code);
    let variant_code = if s.code_from_page {
        page_code.or(status)
    } else {
        code
    };
    if let (Some(st), Some(pc)) = (status, page_code) {
        if pc != st && s.code_from_page {
            evidence.push(Evidence {
                source: EvidenceSource::Body,
                detail: format!("the page shows error {pc}"),
                signature: Some(s.id.to_string()),
            });
        }
    }
    let kind = s.kind.unwrap_or_else(|| derived_kind(obs.status, code));
    let fault = s
        .fault
        .unwrap_or_else(|| default_fault(kind, family, obs.status));
    let confidence = (sig::CONFIDENCE_BASE + sig::CONFIDENCE_PER_POINT * f.score as f32)
        .min(sig::CONFIDENCE_CAP);

    // Evidence that disagrees: a page that only a header can prove (Cloudflare's own pages),
    // or that blames a CDN, is not believed on its text alone, nor when it prints an HTTP code
    // other than the status the network delivered.
    let contradicted = match (status, page_code) {
        (Some(st), Some(pc)) => s.needs_header && (100..=599).contains(&pc) && pc != st,
        _ => false,
    };
    let unproven = (s.needs_header || fault == Fault::Cdn) && !f.header_hit;
    if contradicted || unproven {
        evidence.extend(f.evidence);
        let proof: Vec<String> = s
            .headers
            .iter()
            .map(|h| match h.op {
                HeaderOp::Present => h.name.to_string(),
                _ => format!("{}: {}", h.name, h.value),
            })
            .collect();
        evidence.push(if contradicted {
            Evidence {
                source: EvidenceSource::Status,
                detail: format!(
                    "the page says {} but the HTTP status is {}: it only looks like {}'s page",
                    page_code.unwrap_or(0),
                    status.unwrap_or(0),
                    family.name
                ),
                signature: Some(format!("looks-like:{}", s.id)),
            }
        } else {
            Evidence {
                source: EvidenceSource::Header,
                detail: format!(
                    "no {} header confirms it: the page only looks like {}'s",
                    clip(&proof.join(" or "), 120),
                    family.name
                ),
                signature: Some(format!("looks-like:{}", s.id)),
            }
        });
        let generic = sig::family("generic").unwrap_or(family);
        let kind = match s.kind {
            Some(k @ (Kind::Challenge | Kind::Blocked)) => k,
            _ => derived_kind(obs.status, code),
        };
        let auto = auto_message(code, kind);
        return finish(
            obs,
            Plan {
                kind,
                family: generic,
                variant: Some(format!("looks-like-{}", family.id)),
                code,
                fault: default_fault(kind, generic, obs.status),
                confidence: confidence.min(LOOKALIKE_CONFIDENCE),
                title: auto.title,
                summary: auto_summary(auto, generic),
                remedies: auto.remedies,
                retry,
            },
        );
    }

    let variant = f
        .variant
        .or_else(|| {
            variant_code.and_then(|c| s.variants.iter().find(|(k, _)| *k == c).map(|(_, v)| *v))
        })
        .or(s.variant)
        .or_else(|| code_variant(code))
        .map(str::to_string);
    // A signature's own texts and ranking describe its server errors (or the fixed kind it
    // declares); the same vendor's 404 or 403 page gets the generic texts for that code.
    let own = s.kind.is_some() || kind == Kind::ServerError;
    let auto = auto_message(code, kind);
    evidence.extend(f.evidence);
    finish(
        obs,
        Plan {
            kind,
            family,
            variant,
            code,
            fault,
            confidence,
            title: s.title.filter(|_| own).unwrap_or(auto.title),
            summary: s
                .summary
                .filter(|_| own)
                .unwrap_or(auto_summary(auto, family)),
            remedies: s.remedies.filter(|_| own).unwrap_or(auto.remedies),
            retry,
        },
    )
}

fn from_fallback(
    obs: &Observation,
    norm: &Normalized,
    page_code: Option<u32>,
    retry: Option<u32>,
    evidence: &mut Vec<Evidence>,
) -> (Diagnosis, RemedyPlan) {
    // Empty only when the body was read and had no text: a body not read at all (`None`: the
    // extension's diagnosis from status and headers before the page arrived, a page it could
    // not read) says nothing about the page, so it is no evidence of a blank page.
    let empty = obs.body.is_some() && norm.visible == 0;
    let fb = sig::FALLBACKS
        .iter()
        .find(|fb| {
            let status_ok = match obs.status {
                Some(s) => status_in(fb.status, s),
                None => fb.status_none,
            };
            let body_ok = match fb.body {
                BodyCond::Empty => empty,
                BodyCond::NonEmpty => !empty,
                BodyCond::Any => true,
            };
            status_ok && body_ok
        })
        .unwrap_or(&sig::FALLBACKS[sig::FALLBACKS.len() - 1]);
    if empty && obs.status.is_some_and(|s| s >= 400) {
        evidence.push(Evidence {
            source: EvidenceSource::Body,
            detail: "body: empty".into(),
            signature: Some(format!("fallback:{}", fb.id)),
        });
    }
    let family = &sig::FAMILIES[fb.family as usize];
    let code = obs
        .status
        .map(u32::from)
        .or(page_code.filter(|_| fb.kind != Some(Kind::Ok)));
    let kind = fb.kind.unwrap_or_else(|| derived_kind(obs.status, code));
    let auto = auto_message(code, kind);
    finish(
        obs,
        Plan {
            kind,
            family,
            variant: fb
                .variant
                .or_else(|| {
                    if kind == Kind::Ok {
                        None
                    } else {
                        code_variant(code)
                    }
                })
                .map(str::to_string),
            code: if kind == Kind::Ok { None } else { code },
            fault: if kind == Kind::ClientError && fb.fault == Fault::Site {
                client_fault(obs.status)
            } else {
                fb.fault
            },
            confidence: fb.confidence,
            title: fb.title.unwrap_or(auto.title),
            summary: fb.summary.unwrap_or(auto_summary(auto, family)),
            remedies: fb.remedies.unwrap_or(auto.remedies),
            retry,
        },
    )
}

fn network(obs: &Observation, raw: &str) -> (Diagnosis, RemedyPlan) {
    let code = raw.trim();
    // `get` rather than `[..5]`: a net error from a HAR file or `--net-error` may be any
    // text, and byte 5 can fall inside a multi-byte character (found by tests/props.rs).
    let bare = if code
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("net::"))
    {
        &code[5..]
    } else {
        code
    }
    .to_ascii_uppercase();
    let def = sig::NET_ERRORS
        .iter()
        .find(|n| {
            n.codes.contains(&bare.as_str()) || n.prefixes.iter().any(|p| bare.starts_with(p))
        })
        .or_else(|| sig::NET_ERRORS.iter().find(|n| n.default))
        .unwrap_or(&sig::NET_ERRORS[0]);
    let family = sig::family("network").unwrap_or(&sig::FAMILIES[0]);
    let (mut d, plan) = finish(
        obs,
        Plan {
            kind: def.kind,
            family,
            variant: Some(def.variant.to_string()),
            code: None,
            fault: def.fault,
            confidence: def.confidence,
            title: def.title,
            summary: def.summary,
            remedies: def.remedies,
            retry: None,
        },
    );
    d.evidence = vec![Evidence {
        source: EvidenceSource::NetError,
        detail: clip(code, 80).to_string(),
        signature: Some(format!("net:{}", def.variant)),
    }];
    d.ids = ids(obs, None, 0);
    (d, plan)
}

fn ids(obs: &Observation, sc: Option<&Scan>, family: u16) -> Vec<RequestId> {
    let mut out: Vec<RequestId> = Vec::new();
    for h in sig::HEADER_IDS {
        let Some(v) = obs
            .header(h.header)
            .map(str::trim)
            .filter(|v| !v.is_empty())
        else {
            continue;
        };
        let v = clip(v, 200);
        match h
            .colo
            .and_then(|c| v.rsplit_once('-').map(|(id, colo)| (c, id, colo)))
        {
            Some((colo_kind, id, colo))
                if (2..=4).contains(&colo.len())
                    && colo.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                out.push(RequestId {
                    kind: h.kind.into(),
                    value: id.into(),
                });
                out.push(RequestId {
                    kind: colo_kind.into(),
                    value: colo.to_ascii_uppercase(),
                });
            }
            _ => out.push(RequestId {
                kind: h.kind.into(),
                value: v.into(),
            }),
        }
    }
    if let Some(sc) = sc {
        for p in sig::PAGE_IDS {
            if !p.families.is_empty() && !p.families.contains(&family) {
                continue;
            }
            if out.iter().any(|r| r.kind == p.kind) {
                continue;
            }
            if let Some((_, tok)) = sc.page_ids.iter().find(|(q, _)| *q == p.pattern) {
                out.push(RequestId {
                    kind: p.kind.into(),
                    value: tok.clone(),
                });
            }
        }
    }
    out
}

/// `Retry-After` in seconds: delta-seconds, or an HTTP date relative to the response's `Date`
/// header (else `observed_at`).
pub fn retry_after_header(obs: &Observation) -> Option<u32> {
    let v = obs.header("retry-after")?.trim();
    if let Ok(s) = v.parse::<u64>() {
        return Some(s.min(7 * 86_400) as u32);
    }
    let at = http_date(v)?;
    let base = obs
        .header("date")
        .and_then(http_date)
        .or_else(|| obs.observed_at.as_deref().and_then(rfc3339))?;
    Some(at.saturating_sub(base).min(7 * 86_400) as u32)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn epoch(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<u64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let t = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s;
    u64::try_from(t).ok()
}

/// IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT` (also tolerates RFC 850's dashes).
pub fn http_date(v: &str) -> Option<u64> {
    let v = v.trim();
    let rest = v.split_once(',').map_or(v, |(_, r)| r).trim();
    let rest = rest.replace('-', " ");
    let mut it = rest.split_whitespace();
    let d: i64 = it.next()?.parse().ok()?;
    let mon = it.next()?.to_ascii_lowercase();
    let mo = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    .iter()
    .position(|m| mon.starts_with(m))? as i64
        + 1;
    let mut y: i64 = it.next()?.parse().ok()?;
    if y < 100 {
        y += if y < 70 { 2000 } else { 1900 };
    }
    let mut hms = it.next()?.split(':').map(|x| x.parse::<i64>().ok());
    let (h, mi, s) = (hms.next()??, hms.next()??, hms.next()??);
    epoch(y, mo, d, h, mi, s)
}

/// RFC 3339, e.g. `2026-11-21T17:03:12Z` or with an offset.
pub fn rfc3339(v: &str) -> Option<u64> {
    let v = v.trim();
    if v.len() < 19 || !v.is_char_boundary(19) {
        return None;
    }
    let num = |a: usize, b: usize| v.get(a..b)?.parse::<i64>().ok();
    let t = epoch(
        num(0, 4)?,
        num(5, 7)?,
        num(8, 10)?,
        num(11, 13)?,
        num(14, 16)?,
        num(17, 19)?,
    )? as i64;
    let tz = v[19..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let off = match tz.as_bytes().first() {
        None | Some(b'Z' | b'z') => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let h: i64 = tz.get(1..3)?.parse().ok()?;
            let m: i64 = tz.get(4..6)?.parse().ok()?;
            let o = h * 3600 + m * 60;
            if sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    u64::try_from(t - off).ok()
}

/// Host name of a URL, without port or credentials.
pub fn host_of(url: &str) -> Option<&str> {
    let rest = url.trim().split_once("://")?.1;
    let auth = rest.split(['/', '?', '#']).next()?;
    let host = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split_once(']').map(|(h, _)| &h[1..])?
    } else {
        host.split(':').next()?
    };
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784111777));
        assert_eq!(rfc3339("1994-11-06T08:49:37Z"), Some(784111777));
        assert_eq!(rfc3339("1994-11-06T09:49:37+01:00"), Some(784111777));
        assert_eq!(http_date("garbage"), None);
    }

    #[test]
    fn hosts() {
        assert_eq!(
            host_of("https://user@example.com:8443/x?y"),
            Some("example.com")
        );
        assert_eq!(host_of("http://[::1]:80/"), Some("::1"));
        assert_eq!(host_of("not a url"), None);
    }

    fn obs(status: Option<u16>, body: &str) -> Observation {
        Observation {
            url: "https://www.example.com/".into(),
            status,
            body: Some(body.into()),
            ..Default::default()
        }
    }

    #[test]
    fn oversized_body_is_cut_and_the_cut_is_evidence() {
        let page = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
        let mut body = page.to_string();
        body.push_str(&"<p>padding</p>".repeat(sig::BODY_CAP / 10));
        let d = diagnose(&obs(Some(502), &body));
        assert_eq!(d.family, "nginx");
        assert!(d
            .evidence
            .iter()
            .any(|e| e.source == EvidenceSource::Limit && e.detail.contains("cut at")));
        let mut o = obs(Some(502), page);
        o.body_truncated = true;
        let d = diagnose(&o);
        assert!(d.evidence.iter().any(|e| e.source == EvidenceSource::Limit));
    }

    #[test]
    fn retry_after_date_relative_to_observed_at() {
        let mut o = obs(Some(503), "");
        o.headers = vec![Header::new("Retry-After", "Sat, 21 Nov 2026 16:10:00 GMT")];
        o.observed_at = Some("2026-11-21T17:09:00+01:00".into());
        assert_eq!(diagnose(&o).retry_after_s, Some(60));
        // A date in the past means "now", not a negative wait.
        o.observed_at = Some("2026-11-21T18:00:00Z".into());
        assert_eq!(diagnose(&o).retry_after_s, Some(0));
    }

    #[test]
    fn net_error_with_a_status_is_evidence_not_the_diagnosis() {
        let mut o = obs(Some(502), "");
        o.net_error = Some("net::ERR_HTTP_RESPONSE_CODE_FAILURE".into());
        let d = diagnose(&o);
        assert_eq!(d.family, "blank");
        assert!(d
            .evidence
            .iter()
            .any(|e| e.source == EvidenceSource::NetError));
    }

    #[test]
    fn odd_net_error_text_never_panics() {
        for e in [
            "net:é",
            "néé::ERR",
            "ñ",
            "net::",
            "  ",
            "NET::err_name_not_resolved",
        ] {
            let o = Observation {
                net_error: Some(e.into()),
                ..Default::default()
            };
            let d = diagnose(&o);
            // A blank code is no code: nothing observed at all (no status, no body read) is
            // no error, not a blank page.
            let want = if e.trim().is_empty() {
                "none"
            } else {
                "network"
            };
            assert_eq!(d.family, want, "{e:?}");
        }
        let o = Observation {
            net_error: Some("NET::err_name_not_resolved".into()),
            ..Default::default()
        };
        assert_eq!(diagnose(&o).variant.as_deref(), Some("dns"));
    }

    #[test]
    fn informational_statuses_never_alarm() {
        let nginx502 = "<title>502 Bad Gateway</title><h1>502 Bad Gateway</h1><hr>nginx";
        for st in [200, 204, 301, 304] {
            let d = diagnose(&obs(Some(st), nginx502));
            assert_eq!(
                (d.kind, d.family.as_str()),
                (Kind::Ok, "none"),
                "status {st}"
            );
            assert!(d.remedies.is_empty());
        }
    }

    /// Issue 14 §2: what the evidence says when the page and the network disagree.
    #[test]
    fn disagreeing_evidence_is_named() {
        let cf502 = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>";
        let mut o = obs(Some(502), cf502);
        o.headers = vec![Header::new("Server", "nginx")];
        let d = diagnose(&o);
        assert_eq!(
            (d.family.as_str(), d.fault, d.code),
            ("generic", Fault::Site, Some(502))
        );
        assert_eq!(d.variant.as_deref(), Some("looks-like-cloudflare-cdn"));
        assert!(d.confidence <= LOOKALIKE_CONFIDENCE);
        assert!(
            d.evidence.iter().any(|e| e.source == EvidenceSource::Header
                && e.detail.contains("server: cloudflare")
                && e.detail.contains("only looks like Cloudflare")),
            "{:#?}",
            d.evidence
        );
        assert_ne!(d.remedies[0].id, "check_provider_status");
        // With Cloudflare's header the same page is Cloudflare's own failure.
        o.headers = vec![Header::new("Server", "cloudflare")];
        assert_eq!(diagnose(&o).fault, Fault::Cdn);

        // A Cloudflare 521 page sent with 404: the badge says 404 and the evidence says why.
        let page521 = "<title>Web server is down | example.com | Cloudflare</title><h1>Error 521</h1> Ray ID: 7a8b9c0d1e2f3a4b Web server is down Cloudflare Ray ID: 7a8b9c0d1e2f3a4b Performance &amp; security by Cloudflare";
        let mut o = obs(Some(404), page521);
        o.headers = vec![
            Header::new("server", "cloudflare"),
            Header::new("cf-ray", "7a8b9c0d1e2f3a4b-FRA"),
        ];
        let d = diagnose(&o);
        assert_eq!(
            (d.kind, d.code, d.family.as_str()),
            (Kind::ClientError, Some(404), "generic")
        );
        assert!(
            d.evidence.iter().any(|e| e.source == EvidenceSource::Status
                && e.detail.contains("says 521 but the HTTP status is 404")),
            "{:#?}",
            d.evidence
        );
        assert!(
            d.remedies.iter().all(|r| r.id != "wait_and_retry"),
            "no auto-retry on a 404"
        );
    }
}
