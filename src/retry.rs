//! Auto-retry: when to check a failed page again, what one check says, and when to stop.
//!
//! Chrome's own auto-reload (components/error_page/.../net_error_auto_reloader.cc) only retries
//! network errors, never HTTP 5xx pages, and backs off 1 s, 5 s, 30 s, 1 min, 5 min, 10 min,
//! 30 min. We follow the same idea for server errors, starting a little slower (a 5xx site is
//! usually overloaded; hammering it helps nobody) and with a cap, so a tab left open overnight
//! does not keep polling a dead site.
//!
//! Everything here is a pure decision over a [`Retry`] record and the clock the caller passes
//! in (milliseconds since the epoch, `Date.now()`). The extension's service worker keeps the
//! record in the tab's state in `storage.session` and does the browser wiring around these
//! decisions: the alarms and timers that wake it, the quiet `fetch` that checks the site, the
//! tab reload (extension/lib/actions.js).
//!
//! URLs here are the browser's own serialisations (webRequest's `details.url`, `tabs.Tab.url`,
//! `Response.url`), so a small reader of http(s) URLs is enough to compare origins: it folds
//! what those serialisations may still differ in for one origin (case, a default port, an
//! empty path) and does not try to be the WHATWG parser (no URL parser in the WASM build, see
//! `report::redact_url`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Backoff after the first delay, in seconds (attempt 1, 2, …); the last value repeats.
pub const BACKOFF_S: [u32; 5] = [5, 10, 30, 60, 300];
/// Default cap on checks; 5+10+30+60+300×3 ≈ 18 min of watching.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;
/// The most checks a caller may ask for: at 5 min a step, 50 checks are four hours.
pub const MAX_ATTEMPTS_CAP: u32 = 50;
/// Bounds for a first delay chosen by a caller or a Retry-After (seconds).
pub const MIN_DELAY_S: u32 = 1;
/// A Retry-After of hours would make the countdown useless; wait at most this long per step.
pub const MAX_DELAY_S: u32 = 3600;
/// Chrome 120+ rounds alarms below 30 s up to 30 s for packed extensions (unpacked ones may go
/// lower): <https://developer.chrome.com/docs/extensions/reference/api/alarms#method-create>.
/// Waits up to this long are driven by an in-worker timer, with the alarm only as a backstop.
pub const ALARM_MIN_DELAY_MS: u64 = 30_000;
/// How much later than a timer the backstop alarm is set, so the two do not race for one check.
pub const BACKSTOP_SLACK_MS: u64 = 2000;
/// An alarm asked for "now" or in the past fires at once; never ask for less than this ahead.
pub const ALARM_LEAD_MS: u64 = 1000;
/// How early a check may run and still count as due: timers and alarms jitter.
pub const DUE_SLACK_MS: u64 = 500;

/// Why a load must not be retried automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum RetryRefusal {
    /// Not a GET: re-sending a POST could buy something twice.
    NotGet,
    /// No URL, or not one a browser would load.
    NoUrl,
    /// Not http(s): nothing to fetch quietly (`file:`, `javascript:`, `chrome:` …).
    BadScheme,
}

impl RetryRefusal {
    /// The id the extension records (`retry_refused_<id>`) and a refused start's error says.
    pub fn id(self) -> &'static str {
        match self {
            RetryRefusal::NotGet => "not_get",
            RetryRefusal::NoUrl => "no_url",
            RetryRefusal::BadScheme => "bad_scheme",
        }
    }
}

impl fmt::Display for RetryRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// What one quiet check said about the watched page (see [`classify`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum RetryVerdict {
    /// The same site answered < 400: the page is back.
    Back,
    /// 5xx, 408, 429 or a network error: still failing.
    Down,
    /// Another site answered, or this one answered 4xx to a visitor without cookies.
    Unclear,
}

/// How a retry ended. Recorded in the tab's `tried` list, and the popup's text for it is
/// `ui_retry_outcome_<outcome>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum RetryOutcome {
    /// A check said the site is back (the caller reloads the tab).
    Recovered,
    /// The cap was reached with the site still down.
    GaveUp,
    /// The cap was reached after a check that could not tell: neither "back" nor "down".
    Unclear,
    /// The visitor stopped it.
    Cancelled,
    /// The tab went to another page meanwhile (never reload a page the visitor left).
    NavigatedAway,
    /// The tab was closed.
    TabClosed,
}

/// One auto-retry's record: the `retry` field of the tab's state (extension/lib/state.js).
///
/// It lives in `storage.session`, so a worker that starts after a stopped one reads what the
/// old one wrote: the field names and the JSON shape are the ones the JavaScript schedule
/// wrote before this module existed (every field present, `null` for nothing). Every version
/// of it wrote the fields that are not `Option`s; an `Option` missing from an older record
/// (`last_verdict`, `redirected_to`, `reloaded_at` came later) reads as `None`, and `notify`
/// (later too) as `false`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(missing_as_null))]
pub struct Retry {
    /// A check is scheduled.
    pub active: bool,
    /// The URL being watched (the failed page's URL).
    pub url: String,
    /// Always `GET`: only GETs are retried (no form re-posting).
    pub method: String,
    /// Checks done so far.
    pub attempt: u32,
    /// The cap on checks.
    pub max_attempts: u32,
    /// Epoch ms of the next check (the popup's countdown reads this); `null` once ended.
    pub next_at: Option<u64>,
    /// The delay that led to `next_at`, in seconds (for display and debugging).
    pub delay_s: u32,
    /// What the server or page asked for, after clamping to [`MIN_DELAY_S`]..[`MAX_DELAY_S`].
    pub retry_after_s: Option<u32>,
    /// The first delay the caller chose (the popup's test hook), when it chose one.
    pub first_delay_s: Option<u32>,
    /// Epoch ms. Also tells this retry from a newer one that replaced it during a check.
    pub started_at: u64,
    pub ended_at: Option<u64>,
    /// Status of the last check; `null` before the first one and after a network error.
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub last_verdict: Option<RetryVerdict>,
    /// Host (with a non-default port) the last check ended on, when it left the origin.
    pub redirected_to: Option<String>,
    /// When an unclear check made the caller reload the tab (once per retry).
    pub reloaded_at: Option<u64>,
    pub outcome: Option<RetryOutcome>,
    /// The remedy id that started it; outcomes that arrive later are recorded under it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy_id: Option<String>,
    /// A desktop notification is wanted when the site is back ("Tell me when it's back").
    #[serde(default)]
    pub notify: bool,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            active: false,
            url: String::new(),
            method: "GET".into(),
            attempt: 0,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            next_at: None,
            delay_s: BACKOFF_S[0],
            retry_after_s: None,
            first_delay_s: None,
            started_at: 0,
            ended_at: None,
            last_status: None,
            last_error: None,
            last_verdict: None,
            redirected_to: None,
            reloaded_at: None,
            outcome: None,
            remedy_id: None,
            notify: false,
        }
    }
}

/// [`start`]'s input: the failed load, what the diagnosis and the visitor's click asked for.
///
/// The three wishes (`retry_after_s`, `first_delay_s`, `max_attempts`) are JS numbers from a
/// stored diagnosis and the popup's message: one that is not a positive number once rounded
/// (0, negative, NaN, infinite) is no wish, and the default applies.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(missing_as_null))]
pub struct RetryStart {
    pub url: String,
    /// Absent for a plain navigation, which is a GET.
    #[serde(default)]
    pub method: Option<String>,
    /// The diagnosis' Retry-After (the header, or the page's "try again in N s").
    #[serde(default)]
    pub retry_after_s: Option<f64>,
    /// The caller's first delay (the popup's `?retry_first_delay_s=` test hook).
    #[serde(default)]
    pub first_delay_s: Option<f64>,
    #[serde(default)]
    pub max_attempts: Option<f64>,
    /// Epoch ms.
    pub now: u64,
    #[serde(default)]
    pub remedy_id: Option<String>,
    #[serde(default)]
    pub notify: bool,
}

/// [`start`]'s answer across the WASM boundary: `{retry}` or `{refused}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum RetryStarted {
    // Boxed: a refusal need not carry a record's worth of bytes (clippy::large_enum_variant).
    Retry(Box<Retry>),
    Refused(RetryRefusal),
}

impl From<Result<Retry, RetryRefusal>> for RetryStarted {
    fn from(r: Result<Retry, RetryRefusal>) -> Self {
        match r {
            Ok(retry) => RetryStarted::Retry(Box::new(retry)),
            Err(refusal) => RetryStarted::Refused(refusal),
        }
    }
}

/// What one quiet check (a fetch without cookies that follows redirects) came back with.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(missing_as_null))]
pub struct RetryCheck {
    /// HTTP status; absent on a network error.
    #[serde(default)]
    pub status: Option<u16>,
    /// The network error's message, when there was one.
    #[serde(default)]
    pub error: Option<String>,
    /// Where the redirects ended (`Response.url`); absent means no redirect.
    #[serde(default)]
    pub final_url: Option<String>,
    /// Epoch ms when the check finished.
    pub now: u64,
}

/// [`classify`]'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(missing_as_null))]
pub struct CheckVerdict {
    pub verdict: RetryVerdict,
    /// Host of the other origin the check was sent to; `null` when it stayed.
    pub redirected_to: Option<String>,
}

/// How to wake up for a check (see [`wake_plan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[cfg_attr(feature = "ts", tsify(missing_as_null))]
pub struct WakePlan {
    /// Milliseconds for an in-worker timer; `null`: the wait is too long for one.
    pub timer_ms: Option<u64>,
    /// Epoch ms for the backstop alarm (always set).
    pub alarm_when: u64,
}

/// A JS number as a positive whole number, the way the JS schedule's `posInt` read one:
/// rounded, and `None` for zero, negatives, NaN and infinities.
fn pos_int(v: Option<f64>) -> Option<u32> {
    let r = v?.round();
    // `as` saturates, so a huge wish becomes u32::MAX and is clamped by its user.
    (r.is_finite() && r > 0.0).then_some(r as u32)
}

/// An http(s) URL as far as the retry decisions compare it.
#[derive(Debug, PartialEq, Eq)]
struct HttpUrl {
    /// `http` or `https`.
    scheme: &'static str,
    /// Lower-case host, with the port when it is not the scheme's default (`URL.host`).
    host: String,
    /// Path and query, without the fragment; `/` for an empty path.
    rest: String,
}

impl HttpUrl {
    /// `scheme://host[:port]`, as `URL.origin` serialises it.
    fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.host)
    }
}

/// What a URL string is, for [`refusal`] and the comparisons.
#[derive(Debug, PartialEq, Eq)]
enum Parsed {
    Http(HttpUrl),
    /// A URL of another scheme (`file:`, `javascript:`, `about:` …).
    OtherScheme,
    /// Not a URL (no scheme, an empty host, a bad port).
    Invalid,
}

/// Reads a URL string (see the module comment for how far). For http(s), like the WHATWG
/// parser: leading and trailing whitespace is ignored, any run of `/` or `\` after the scheme
/// starts the authority, the authority ends at the first `/`, `\`, `?` or `#`, userinfo ends at
/// its last `@`, and a port must be digits.
fn parse(url: &str) -> Parsed {
    let url = url.trim_matches(|c: char| c <= ' ');
    let Some((scheme, rest)) = url.split_once(':') else {
        return Parsed::Invalid;
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Parsed::Invalid;
    }
    let (scheme, default_port) = if scheme.eq_ignore_ascii_case("https") {
        ("https", 443)
    } else if scheme.eq_ignore_ascii_case("http") {
        ("http", 80)
    } else {
        return Parsed::OtherScheme;
    };
    let rest = rest.trim_start_matches(['/', '\\']);
    let end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // A port is after the last `:` that is not inside an IPv6 literal's brackets.
    let (host, port) = match hostport.rfind(':') {
        Some(i) if !hostport[i..].contains(']') => (&hostport[..i], &hostport[i + 1..]),
        _ => (hostport, ""),
    };
    if host.is_empty()
        || host.chars().any(|c| c <= ' ' || c == '\u{7f}')
        || !port.bytes().all(|b| b.is_ascii_digit())
    {
        return Parsed::Invalid;
    }
    let port = match port {
        "" => None,
        // Beyond 65535 the WHATWG parser fails too.
        p => match p.parse::<u16>() {
            Ok(p) => Some(p),
            Err(_) => return Parsed::Invalid,
        },
    };
    let host = host.to_ascii_lowercase();
    let host = match port {
        Some(p) if p != default_port => format!("{host}:{p}"),
        _ => host,
    };
    // Special schemes read `\` as `/`, and an empty path is `/` (`https://a.example?q` is
    // `https://a.example/?q`).
    let tail = tail.split('#').next().unwrap_or("").replace('\\', "/");
    let rest = if tail.starts_with('/') {
        tail
    } else {
        format!("/{tail}")
    };
    Parsed::Http(HttpUrl { scheme, host, rest })
}

fn http(url: &str) -> Option<HttpUrl> {
    match parse(url) {
        Parsed::Http(u) => Some(u),
        _ => None,
    }
}

/// May this load be retried automatically? Only idempotent GETs over http(s): a missing method
/// is a plain navigation, which is a GET; re-sending a POST could buy something twice.
pub fn refusal(url: &str, method: Option<&str>) -> Option<RetryRefusal> {
    if !method.unwrap_or("GET").eq_ignore_ascii_case("GET") {
        return Some(RetryRefusal::NotGet);
    }
    match parse(url) {
        Parsed::Http(_) => None,
        Parsed::OtherScheme => Some(RetryRefusal::BadScheme),
        Parsed::Invalid => Some(RetryRefusal::NoUrl),
    }
}

/// Delay in seconds before check number `attempt` (0-based).
/// - attempt 0: the server's Retry-After when given (it knows best when to come back), else
///   the caller's first delay, else `BACKOFF_S[0]`.
/// - later attempts: `BACKOFF_S[attempt-1…]`, never shorter than Retry-After (the server said
///   not before then).
///
/// Everything is clamped to [`MIN_DELAY_S`]..=[`MAX_DELAY_S`].
pub fn delay_for(attempt: u32, retry_after_s: Option<u32>, first_delay_s: Option<u32>) -> u32 {
    let delay = if attempt == 0 {
        retry_after_s.or(first_delay_s).unwrap_or(BACKOFF_S[0])
    } else {
        let step = BACKOFF_S[(attempt as usize - 1).min(BACKOFF_S.len() - 1)];
        step.max(retry_after_s.unwrap_or(0))
    };
    delay.clamp(MIN_DELAY_S, MAX_DELAY_S)
}

/// The whole schedule in seconds, one delay per check.
pub fn schedule(
    max_attempts: u32,
    retry_after_s: Option<u32>,
    first_delay_s: Option<u32>,
) -> Vec<u32> {
    (0..max_attempts)
        .map(|i| delay_for(i, retry_after_s, first_delay_s))
        .collect()
}

/// Starts a retry for a failed load, its first check scheduled; the refusal when the load must
/// not be retried (see [`refusal`]).
pub fn start(req: &RetryStart) -> Result<Retry, RetryRefusal> {
    if let Some(r) = refusal(&req.url, req.method.as_deref()) {
        return Err(r);
    }
    let retry_after_s = pos_int(req.retry_after_s);
    let first_delay_s = pos_int(req.first_delay_s);
    let cap = pos_int(req.max_attempts)
        .unwrap_or(DEFAULT_MAX_ATTEMPTS)
        .clamp(1, MAX_ATTEMPTS_CAP);
    let delay = delay_for(0, retry_after_s, first_delay_s);
    Ok(Retry {
        active: true,
        url: req.url.clone(),
        method: "GET".into(),
        attempt: 0,
        max_attempts: cap,
        next_at: Some(req.now + u64::from(delay) * 1000),
        delay_s: delay,
        retry_after_s: retry_after_s.map(|s| s.clamp(MIN_DELAY_S, MAX_DELAY_S)),
        first_delay_s,
        started_at: req.now,
        remedy_id: req.remedy_id.clone(),
        notify: req.notify,
        ..Retry::default()
    })
}

/// Is this status "still down"? 5xx, and 408/429 ("too busy", a server asking to be left
/// alone), and a network error (no status, or the 0 of a response that never came).
pub fn is_down_status(status: Option<u16>) -> bool {
    match status {
        None | Some(0) => true,
        Some(s) => s >= 500 || s == 429 || s == 408,
    }
}

/// What one quiet check says about the watched page `url`:
/// - `back`: the same URL answered < 400 without leaving its origin (a same-origin redirect
///   such as /a → /a/ is still this site answering);
/// - `down`: 5xx, 408, 429 or a network error: still failing;
/// - `unclear`: the check was redirected to another origin (a login or SSO page answers 200 to
///   a visitor without cookies while the visitor's own page still fails: what another site
///   answers says nothing about this page), or the site answered 4xx to a visitor without
///   cookies. Never "recovered": only loading the tab itself can tell.
///
/// An unreadable `final_url` counts as no redirect: `Response.url` is always a URL, and the
/// status still says what the fetch got.
pub fn classify(url: &str, status: Option<u16>, final_url: Option<&str>) -> CheckVerdict {
    if let (Some(from), Some(to)) = (http(url), final_url.and_then(http)) {
        if from.origin() != to.origin() {
            return CheckVerdict {
                verdict: RetryVerdict::Unclear,
                redirected_to: Some(to.host),
            };
        }
    }
    let verdict = match status {
        _ if is_down_status(status) => RetryVerdict::Down,
        Some(s) if s < 400 => RetryVerdict::Back,
        _ => RetryVerdict::Unclear,
    };
    CheckVerdict {
        verdict,
        redirected_to: None,
    }
}

/// Applies the result of one check and returns the next state:
/// - `back`: recovered (the caller reloads the tab now);
/// - `unclear`: the first time, `reloaded_at` is set: the caller reloads the tab ONCE, which is
///   the real check (with the visitor's cookies; a healthy load ends the retry, a failing one
///   is diagnosed again and the schedule goes on). After that an unclear check counts like a
///   failed one, and the cap ends it as `unclear` ("cannot tell"), never as `recovered` or
///   `gave_up`;
/// - `down`: scheduled again, or `gave_up` at the cap.
///
/// Use [`reload_needed`] to know whether to reload the tab.
pub fn after_check(retry: &Retry, check: &RetryCheck) -> Retry {
    let attempt = retry.attempt.saturating_add(1);
    let v = classify(&retry.url, check.status, check.final_url.as_deref());
    let mut next = Retry {
        attempt,
        last_status: check.status,
        last_error: check.error.clone(),
        last_verdict: Some(v.verdict),
        redirected_to: v.redirected_to,
        ..retry.clone()
    };
    let end = |mut r: Retry, outcome| {
        r.active = false;
        r.next_at = None;
        r.ended_at = Some(check.now);
        r.outcome = Some(outcome);
        r
    };
    if v.verdict == RetryVerdict::Back {
        return end(next, RetryOutcome::Recovered);
    }
    if v.verdict == RetryVerdict::Unclear && retry.reloaded_at.is_none() {
        next.reloaded_at = Some(check.now);
    }
    if attempt >= retry.max_attempts {
        let outcome = if v.verdict == RetryVerdict::Unclear {
            RetryOutcome::Unclear
        } else {
            RetryOutcome::GaveUp
        };
        return end(next, outcome);
    }
    let delay = delay_for(attempt, retry.retry_after_s, retry.first_delay_s);
    next.next_at = Some(check.now + u64::from(delay) * 1000);
    next.delay_s = delay;
    next
}

/// Must the tab be reloaded after this check? Yes when the site is back, and once per retry
/// when a check could not tell (see [`after_check`]): a tab reloaded into the same 502 at
/// every check would be error pages flashing.
pub fn reload_needed(prev: Option<&Retry>, next: Option<&Retry>) -> bool {
    let Some(next) = next else { return false };
    next.outcome == Some(RetryOutcome::Recovered)
        || (next.reloaded_at.is_some() && prev.is_none_or(|p| p.reloaded_at.is_none()))
}

/// Ends a retry for a reason that is not a check result (cancel, navigation, closed tab).
pub fn stop(retry: &Retry, outcome: RetryOutcome, now: u64) -> Retry {
    Retry {
        active: false,
        next_at: None,
        ended_at: Some(now),
        outcome: Some(outcome),
        ..retry.clone()
    }
}

/// Do two URLs show the same document? The fragment does not count (a `#section` change is not
/// "navigating elsewhere"); anything that is not an http(s) URL never matches a watched page.
pub fn same_document(a: &str, b: &str) -> bool {
    matches!((http(a), http(b)), (Some(a), Some(b)) if a == b)
}

/// Is a scheduled check due? Up to [`DUE_SLACK_MS`] early still counts.
pub fn is_due(retry: Option<&Retry>, now: u64) -> bool {
    retry.is_some_and(|r| {
        r.active
            && r.next_at
                .is_some_and(|at| now >= at.saturating_sub(DUE_SLACK_MS))
    })
}

/// How to wake up for `next_at`: an in-worker timer when the wait is short enough that the
/// worker is likely still alive (Chrome stops an idle worker after ~30 s:
/// <https://developer.chrome.com/docs/extensions/develop/concepts/service-workers/lifecycle>),
/// plus an alarm always, as the backstop that survives the worker being stopped.
pub fn wake_plan(next_at: u64, now: u64) -> WakePlan {
    let wait = next_at.saturating_sub(now);
    let timer_ms = (wait <= ALARM_MIN_DELAY_MS).then_some(wait);
    // With a timer in charge the alarm is only a backstop: later, so that the two do not race
    // for the same check (the check is idempotent anyway, see actions.js).
    let target = if timer_ms.is_some() {
        next_at + BACKSTOP_SLACK_MS
    } else {
        next_at
    };
    WakePlan {
        timer_ms,
        alarm_when: target.max(now + ALARM_LEAD_MS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://shop.example/cart?x=1";

    fn started(max_attempts: Option<u32>, retry_after_s: Option<u32>) -> Retry {
        start(&RetryStart {
            url: URL.into(),
            method: Some("GET".into()),
            retry_after_s: retry_after_s.map(f64::from),
            max_attempts: max_attempts.map(f64::from),
            now: 0,
            ..Default::default()
        })
        .unwrap()
    }

    fn check(status: Option<u16>, final_url: Option<&str>, now: u64) -> RetryCheck {
        RetryCheck {
            status,
            final_url: final_url.map(Into::into),
            now,
            ..Default::default()
        }
    }

    /// The backoff is Chromium-like and never speeds up, the first step obeys the server first
    /// and the caller second, and every step stays inside the clamp: each row is one
    /// (retry_after_s, first_delay_s) pair and the 8-check schedule it must give.
    #[test]
    fn backoff_schedules() {
        let rows: &[(Option<u32>, Option<u32>, [u32; 8])] = &[
            // The default: 5 s, then the backoff, the last step repeating.
            (None, None, [5, 5, 10, 30, 60, 300, 300, 300]),
            // A caller's first delay moves only the first step.
            (None, Some(2), [2, 5, 10, 30, 60, 300, 300, 300]),
            // Retry-After beats the caller: the server knows when it will be back.
            (Some(2), Some(9), [2, 5, 10, 30, 60, 300, 300, 300]),
            // Later steps are never sooner than Retry-After…
            (Some(45), None, [45, 45, 45, 45, 60, 300, 300, 300]),
            (Some(120), None, [120, 120, 120, 120, 120, 300, 300, 300]),
            // …and a day-long one is cut to an hour so the countdown means something.
            (Some(86_400), None, [3600; 8]),
            // A first delay above the clamp is clamped too.
            (None, Some(10_000), [3600, 5, 10, 30, 60, 300, 300, 300]),
        ];
        for (ra, first, want) in rows {
            assert_eq!(
                schedule(8, *ra, *first),
                want,
                "retry_after {ra:?}, first {first:?}"
            );
        }
        let long = schedule(40, None, None);
        assert!(long.windows(2).all(|w| w[1] >= w[0]), "{long:?}");
    }

    /// The popup's options and a stored diagnosis are not trusted to be numbers: whatever is
    /// not a positive number is "no wish" (the default applies), never a failed click.
    #[test]
    fn wishes_that_are_not_positive_numbers_are_ignored() {
        let rows: &[(f64, Option<u32>)] = &[
            (2.0, Some(2)),
            (2.4, Some(2)),
            (2.5, Some(3)),
            (0.0, None),
            (0.4, None),
            (-3.0, None),
            (f64::NAN, None),
            (f64::INFINITY, None),
            (f64::NEG_INFINITY, None),
            // Saturates, then each user clamps it.
            (1e12, Some(u32::MAX)),
        ];
        for (v, want) in rows {
            assert_eq!(pos_int(Some(*v)), *want, "{v}");
        }
        assert_eq!(pos_int(None), None);
        let text = format!("{{\"url\": \"{URL}\", \"now\": 0}}");
        let req: RetryStart = serde_json::from_str(&text).unwrap();
        let r = start(&req).unwrap();
        assert_eq!(
            (r.next_at, r.max_attempts),
            (Some(5000), 8),
            "absent wishes: the defaults"
        );
        let nan = RetryStart {
            url: URL.into(),
            retry_after_s: Some(f64::NAN),
            first_delay_s: Some(-2.0),
            max_attempts: Some(0.0),
            ..Default::default()
        };
        let r = start(&nan).unwrap();
        assert_eq!(
            (r.next_at, r.max_attempts),
            (Some(5000), 8),
            "no wishes: the defaults"
        );
        assert_eq!((r.retry_after_s, r.first_delay_s), (None, None));
        // A wish that is not a number at all is a caller's bug, refused with the field named.
        let text = format!("{{\"url\": \"{URL}\", \"now\": 0, \"first_delay_s\": \"7\"}}");
        let err = serde_json::from_str::<RetryStart>(&text).unwrap_err();
        assert!(err.to_string().contains("invalid type: string"), "{err}");
    }

    /// The cap: default 8, what the caller asks for within 1..=50.
    #[test]
    fn caps() {
        let rows: &[(Option<u32>, u32)] = &[
            (None, DEFAULT_MAX_ATTEMPTS),
            (Some(3), 3),
            (Some(1), 1),
            (Some(1_000_000), MAX_ATTEMPTS_CAP),
        ];
        for (asked, want) in rows {
            assert_eq!(started(*asked, None).max_attempts, *want, "{asked:?}");
        }
    }

    /// The Retry-After a retry keeps is the clamped one (the popup shows it), and it decides
    /// the first check's time.
    #[test]
    fn start_records_the_schedule() {
        let r = start(&RetryStart {
            url: URL.into(),
            retry_after_s: Some(2.0),
            now: 1000,
            remedy_id: Some("wait_and_retry".into()),
            notify: true,
            ..Default::default()
        })
        .unwrap();
        assert!(r.active);
        assert_eq!(r.method, "GET");
        assert_eq!((r.attempt, r.next_at, r.delay_s), (0, Some(3000), 2));
        assert_eq!((r.started_at, r.ended_at, r.outcome), (1000, None, None));
        assert_eq!(r.remedy_id.as_deref(), Some("wait_and_retry"));
        assert!(r.notify);
        assert_eq!(started(None, Some(86_400)).retry_after_s, Some(MAX_DELAY_S));
    }

    /// Only a GET over http(s) is retried: a form answer re-sent could order twice, and a
    /// non-web URL has nothing to check quietly.
    #[test]
    fn refusals() {
        let rows: &[(Option<&str>, &str, Option<RetryRefusal>)] = &[
            (Some("GET"), URL, None),
            (Some("get"), URL, None),
            (None, URL, None), // a navigation without method is a GET
            (Some("POST"), URL, Some(RetryRefusal::NotGet)),
            (Some("PUT"), URL, Some(RetryRefusal::NotGet)),
            (Some("HEAD"), URL, Some(RetryRefusal::NotGet)),
            (None, "", Some(RetryRefusal::NoUrl)),
            (None, "not a url", Some(RetryRefusal::NoUrl)),
            (None, "https://", Some(RetryRefusal::NoUrl)),
            (None, "https://a.example:80x/", Some(RetryRefusal::NoUrl)),
            (None, "file:///etc/passwd", Some(RetryRefusal::BadScheme)),
            (None, "javascript:alert(1)", Some(RetryRefusal::BadScheme)),
            (None, "HTTP://A.example/", None),
        ];
        for (method, url, want) in rows {
            assert_eq!(refusal(url, *method), *want, "{method:?} {url}");
        }
        let post = RetryStart {
            url: URL.into(),
            method: Some("POST".into()),
            ..Default::default()
        };
        assert_eq!(start(&post), Err(RetryRefusal::NotGet));
        assert_eq!(RetryRefusal::NotGet.to_string(), "not_get");
    }

    /// What "still down" means: a server asking to be left alone (408, 429) is down like a 5xx,
    /// and no status at all is a network error.
    #[test]
    fn down_statuses() {
        for s in [
            None,
            Some(0),
            Some(408),
            Some(429),
            Some(500),
            Some(502),
            Some(520),
            Some(599),
        ] {
            assert!(is_down_status(s), "{s:?}");
        }
        for s in [
            Some(200),
            Some(304),
            Some(400),
            Some(403),
            Some(404),
            Some(499),
        ] {
            assert!(!is_down_status(s), "{s:?}");
        }
    }

    /// A check's verdict: only this origin answering < 400 is "back"; another origin's answer,
    /// even a failing one, and a 4xx meant for a visitor without cookies say nothing.
    #[test]
    fn verdicts() {
        use RetryVerdict::*;
        // (status, where the check ended, verdict, the other host it names)
        type Row = (
            Option<u16>,
            Option<&'static str>,
            RetryVerdict,
            Option<&'static str>,
        );
        let rows: &[Row] = &[
            (Some(200), None, Back, None),
            (Some(204), None, Back, None),
            (Some(301), None, Back, None),
            (Some(304), None, Back, None),
            (Some(200), Some(URL), Back, None),
            // A redirect inside the origin is this site answering.
            (Some(200), Some("https://shop.example/cart/"), Back, None),
            // The browser's serialisation and a hand-written one of the same origin.
            (Some(200), Some("https://SHOP.example:443/cart"), Back, None),
            (Some(502), None, Down, None),
            (Some(503), None, Down, None),
            (Some(429), None, Down, None),
            (Some(408), None, Down, None),
            (None, None, Down, None),
            (Some(0), None, Down, None),
            (Some(401), None, Unclear, None),
            (Some(403), None, Unclear, None),
            (Some(404), None, Unclear, None),
            // A login page elsewhere answers 200 to a visitor without cookies.
            (
                Some(200),
                Some("https://login.example/sso?next=cart"),
                Unclear,
                Some("login.example"),
            ),
            // Another scheme or port is another origin; the port is part of the host shown.
            (
                Some(200),
                Some("http://shop.example/cart?x=1"),
                Unclear,
                Some("shop.example"),
            ),
            (
                Some(200),
                Some("https://shop.example:8443/cart"),
                Unclear,
                Some("shop.example:8443"),
            ),
            // Even a failing page elsewhere is not this page.
            (
                Some(502),
                Some("https://login.example/"),
                Unclear,
                Some("login.example"),
            ),
            // Userinfo is not part of the host shown.
            (
                Some(200),
                Some("https://u:p@login.example/"),
                Unclear,
                Some("login.example"),
            ),
            // An unreadable final URL: the status decides.
            (Some(200), Some("garbage"), Back, None),
        ];
        for (status, final_url, verdict, to) in rows {
            let v = classify(URL, *status, *final_url);
            assert_eq!(v.verdict, *verdict, "{status:?} {final_url:?}");
            assert_eq!(v.redirected_to.as_deref(), *to, "{status:?} {final_url:?}");
        }
    }

    /// Down checks follow the schedule from the check's own time, a network error keeps its
    /// message, and a same-origin answer < 400 ends the retry as recovered with a reload.
    #[test]
    fn down_then_back() {
        let mut r = started(Some(8), None);
        assert_eq!(r.next_at, Some(5000));
        let prev = r.clone();
        r = after_check(&r, &check(Some(502), None, 5000));
        assert!(r.active);
        assert_eq!(
            (r.attempt, r.last_status, r.next_at),
            (1, Some(502), Some(10_000))
        );
        assert_eq!(r.last_verdict, Some(RetryVerdict::Down));
        assert!(!reload_needed(Some(&prev), Some(&r)), "down: no reload");
        r = after_check(
            &r,
            &RetryCheck {
                error: Some("Failed to fetch".into()),
                now: 10_000,
                ..Default::default()
            },
        );
        assert_eq!(r.last_error.as_deref(), Some("Failed to fetch"));
        assert_eq!((r.last_status, r.next_at), (None, Some(20_000)));
        let prev = r.clone();
        r = after_check(&r, &check(Some(200), Some(URL), 20_000));
        assert!(!r.active);
        assert_eq!(r.outcome, Some(RetryOutcome::Recovered));
        assert_eq!((r.next_at, r.ended_at), (None, Some(20_000)));
        assert!(
            reload_needed(Some(&prev), Some(&r)),
            "recovered reloads the tab"
        );
    }

    /// The cap ends the retry after exactly `max_attempts` checks: `gave_up` when the last was
    /// down, `unclear` when it could not tell (neither "back" nor "still down" would be true).
    #[test]
    fn cap_outcomes() {
        let rows: &[(u32, Option<u16>, Option<&str>, RetryOutcome)] = &[
            (3, Some(503), None, RetryOutcome::GaveUp),
            (1, Some(503), None, RetryOutcome::GaveUp),
            (
                4,
                Some(200),
                Some("https://login.example/sso"),
                RetryOutcome::Unclear,
            ),
            (2, Some(404), None, RetryOutcome::Unclear),
        ];
        for (cap, status, final_url, outcome) in rows {
            let mut r = started(Some(*cap), None);
            let mut checks = 0;
            while r.active {
                r = after_check(&r, &check(*status, *final_url, r.next_at.unwrap()));
                checks += 1;
                assert!(checks <= *cap, "more checks than the cap {cap}");
            }
            assert_eq!(checks, *cap);
            assert_eq!(r.attempt, *cap);
            assert_eq!(r.outcome, Some(*outcome), "cap {cap}, {status:?}");
            assert_eq!((r.next_at, r.ended_at.is_some()), (None, true));
        }
    }

    /// A check that cannot tell reloads the tab once (loading it with the visitor's cookies is
    /// the real check), never again in the same retry; a same-origin answer later still
    /// recovers.
    #[test]
    fn unclear_reloads_once() {
        let login = Some("https://login.example/sso");
        let mut r = started(Some(4), None);
        let mut prev = r.clone();
        r = after_check(&r, &check(Some(200), login, 5000));
        assert_eq!(
            (r.active, r.outcome),
            (true, None),
            "not recovered, still watching"
        );
        assert_eq!(r.redirected_to.as_deref(), Some("login.example"));
        assert_eq!(r.reloaded_at, Some(5000));
        assert!(reload_needed(Some(&prev), Some(&r)));
        for _ in 0..3 {
            prev = r.clone();
            r = after_check(&r, &check(Some(200), login, r.next_at.unwrap()));
            assert!(!reload_needed(Some(&prev), Some(&r)), "no second reload");
            assert_eq!(r.reloaded_at, Some(5000));
        }
        assert_eq!(r.outcome, Some(RetryOutcome::Unclear));

        let mut r = started(None, None);
        r = after_check(&r, &check(Some(200), login, 5000));
        r = after_check(&r, &check(Some(503), None, r.next_at.unwrap()));
        assert_eq!(r.last_verdict, Some(RetryVerdict::Down));
        assert_eq!(
            r.redirected_to, None,
            "the last check's redirect, not an old one"
        );
        let prev = r.clone();
        r = after_check(&r, &check(Some(200), None, r.next_at.unwrap()));
        assert_eq!(r.outcome, Some(RetryOutcome::Recovered));
        assert!(reload_needed(Some(&prev), Some(&r)));

        // A cap of one: the single unclear check still gets its reload.
        let one = started(Some(1), None);
        let end = after_check(&one, &check(Some(200), login, 5000));
        assert_eq!(end.outcome, Some(RetryOutcome::Unclear));
        assert!(reload_needed(Some(&one), Some(&end)));
        assert!(
            !reload_needed(Some(&one), None),
            "no state: nothing to reload"
        );
    }

    /// Stopping keeps the record (the popup shows how it ended) and is never due again.
    #[test]
    fn stop_and_due() {
        let r = started(None, None);
        let s = stop(&r, RetryOutcome::Cancelled, 7);
        assert_eq!((s.active, s.next_at, s.ended_at), (false, None, Some(7)));
        assert_eq!(s.outcome, Some(RetryOutcome::Cancelled));
        assert_eq!((s.url.as_str(), s.started_at), (URL, 0));
        // next_at is 5000; a timer or alarm up to DUE_SLACK_MS early still runs the check.
        let rows: &[(Option<&Retry>, u64, bool)] = &[
            (Some(&r), 4000, false),
            (Some(&r), 4499, false),
            (Some(&r), 4500, true),
            (Some(&r), 9000, true),
            (Some(&s), 9000, false),
            (None, 9000, false),
        ];
        for (retry, now, due) in rows {
            assert_eq!(is_due(*retry, *now), *due, "at {now}");
        }
    }

    /// Short waits get a timer (an alarm under 30 s would be rounded up) plus a later backstop
    /// alarm; long waits only the alarm; an alarm is never asked for in the past.
    #[test]
    fn wake_plans() {
        let rows: &[(u64, u64, Option<u64>, u64)] = &[
            (5000, 0, Some(5000), 7000),
            (30_000, 0, Some(30_000), 32_000),
            (30_001, 0, None, 30_001),
            (120_000, 0, None, 120_000),
            // Overdue: the timer fires now, the alarm a second from now at the earliest.
            (100, 1000, Some(0), 2100),
            (100, 5000, Some(0), 6000),
        ];
        for (next_at, now, timer, alarm) in rows {
            assert_eq!(
                wake_plan(*next_at, *now),
                WakePlan {
                    timer_ms: *timer,
                    alarm_when: *alarm
                },
                "next_at {next_at}, now {now}"
            );
        }
    }

    /// "Still the same page?" ignores the fragment and what serialisations of one URL differ
    /// in, and nothing but http(s) is ever the watched page.
    #[test]
    fn same_documents() {
        let rows: &[(&str, &str, bool)] = &[
            (
                "https://a.example/p?q=1#x",
                "https://a.example/p?q=1#y",
                true,
            ),
            ("https://a.example/p?q=1", "https://a.example/p?q=1", true),
            ("https://a.example", "https://a.example/", true),
            ("https://A.example:443/p", "https://a.example/p", true),
            ("https://a.example?q", "https://a.example/?q", true),
            ("https://a.example/p?q=1", "https://a.example/p?q=2", false),
            ("https://a.example/p", "https://b.example/p", false),
            ("https://a.example/p", "http://a.example/p", false),
            ("https://a.example/p", "https://a.example:8443/p", false),
            ("https://a.example/P", "https://a.example/p", false),
            ("garbage", "https://b.example/p", false),
            ("about:blank", "about:blank", false),
            ("", "", false),
        ];
        for (a, b, same) in rows {
            assert_eq!(same_document(a, b), *same, "{a} vs {b}");
            assert_eq!(same_document(b, a), *same, "{b} vs {a}");
        }
    }

    /// A record the JavaScript schedule wrote (every field, `null` for nothing) reads back and
    /// serialises to the same JSON; an older record without the later fields still reads.
    #[test]
    fn stored_shape_is_compatible() {
        let old = serde_json::json!({
            "active": true, "url": URL, "method": "GET", "attempt": 1, "max_attempts": 8,
            "next_at": 10_000, "delay_s": 5, "retry_after_s": null, "first_delay_s": 2,
            "started_at": 0, "ended_at": null, "last_status": 502, "last_error": null,
            "last_verdict": "down", "redirected_to": null, "reloaded_at": null, "outcome": null,
            "notify": false, "remedy_id": "auto_retry"
        });
        let r: Retry = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(r.last_verdict, Some(RetryVerdict::Down));
        assert_eq!(serde_json::to_value(&r).unwrap(), old);

        let older: Retry = serde_json::from_value(serde_json::json!({
            "active": true, "url": URL, "method": "GET", "attempt": 0, "max_attempts": 3,
            "next_at": 5000, "delay_s": 5, "retry_after_s": null, "started_at": 0,
            "ended_at": null, "last_status": null, "last_error": null, "outcome": null
        }))
        .unwrap();
        assert_eq!(
            (older.first_delay_s, older.reloaded_at, older.notify),
            (None, None, false)
        );
        assert_eq!(older.remedy_id, None);
        let next = after_check(&older, &check(Some(503), None, 5000));
        assert_eq!(next.next_at, Some(10_000));
        let json = serde_json::to_value(&next).unwrap();
        assert!(
            json.get("remedy_id").is_none(),
            "no remedy id is written as absent"
        );
        assert_eq!(
            json["reloaded_at"],
            serde_json::Value::Null,
            "nothing is null, not absent"
        );
    }
}
