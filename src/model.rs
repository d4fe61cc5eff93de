//! The serde contract shared by the extension, the CLI, reports and tests.
//!
//! Everything that crosses the WASM boundary or is written to disk is defined here, so that the
//! JavaScript side, the CLI and the fixtures all agree on one shape. Field names are
//! `snake_case` in JSON. Input types are lenient (unknown fields are ignored, absent fields take
//! defaults) because observations come from two browsers and from hand-written support tickets;
//! output types are strict and versioned by [`SCHEMA`].

use serde::{Deserialize, Deserializer, Serialize};

/// A field's default when it is `null`, as when it is absent: the extension and hand-written
/// tickets write `null` for "nothing" (JSON.stringify of an undefined property, a cleared
/// field), and an observation must not be refused for it. For non-`Option` fields; an
/// `Option` reads `null` as `None` by itself.
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Version of the `Diagnosis` JSON shape. Bump on any incompatible change.
pub const SCHEMA: u32 = 1;

/// One HTTP header as the browser reported it. Names compare case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Header {
    pub name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub value: String,
}

impl Header {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// What the browser saw of one main-frame load.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(default)]
pub struct Observation {
    #[serde(deserialize_with = "nullable")]
    pub url: String,
    pub method: Option<String>,
    /// HTTP status; absent when no response arrived (see `net_error`).
    pub status: Option<u16>,
    pub status_line: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub headers: Vec<Header>,
    /// Page text as read from the tab, or the raw body (CLI, HAR). May be empty or truncated.
    pub body: Option<String>,
    /// Set by whoever read the body when they cut it short.
    #[serde(deserialize_with = "nullable")]
    pub body_truncated: bool,
    /// Network error code, e.g. `net::ERR_NAME_NOT_RESOLVED` or `NS_ERROR_UNKNOWN_HOST`.
    pub net_error: Option<String>,
    /// e.g. `chrome/156`, `firefox/128`.
    pub browser: Option<String>,
    /// The visitor's OS as `runtime.getPlatformInfo().os` names it (`win`, `mac`, `linux`,
    /// `cros`, `android`, `openbsd`); used to pick OS-specific remedy steps.
    pub os: Option<String>,
    /// RFC 3339 time of the observation.
    pub observed_at: Option<String>,
}

impl Observation {
    /// First header with this name (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    ServerError,
    ClientError,
    /// Access denied, WAF block.
    Blocked,
    /// Anti-bot interstitial ("Just a moment…"): not an outage.
    Challenge,
    NetworkError,
    Ok,
}

/// Whose side the failure is on, in the visitor's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// The website's own servers, proxies, load balancers, hosting.
    Site,
    /// The CDN/edge provider itself.
    Cdn,
    /// Cache, cookies, extensions on this device.
    Browser,
    /// The visitor's connection, DNS, proxy/VPN, ISP.
    Network,
    None,
    Unknown,
}

/// Text that is usually one of the engine's built-in strings (a message id, a catalog text)
/// and only sometimes built at run time: borrowing the built-in ones saves two allocations per
/// message, and a diagnosis renders dozens of messages for its remedies.
pub type Text = std::borrow::Cow<'static, str>;

/// A translatable message: `id` is a key in `extension/_locales/<lang>/messages.json`, `args`
/// fill its `$1`…`$9` placeholders, `text` is the English rendering (for the CLI and as
/// fallback). (No glob in the path: this text goes into the generated .d.ts as a block
/// comment, which a star followed by a slash would end.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Message {
    #[cfg_attr(feature = "ts", tsify(type = "string"))]
    pub id: Text,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[cfg_attr(feature = "ts", tsify(type = "string"))]
    pub text: Text,
}

/// Where a piece of evidence came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum EvidenceSource {
    Status,
    Header,
    Body,
    NetError,
    Url,
    /// A limit that was applied (body cut at the cap, …).
    Limit,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Evidence {
    pub source: EvidenceSource,
    /// Human-readable: `status 502`, `server: cloudflare`, `body: "502 bad gateway"`.
    pub detail: String,
    /// Id of the signature rule that produced it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// An identifier support can quote: Ray ID, request id, Akamai reference…
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct RequestId {
    /// Stable kind: `cf-ray`, `cf-colo`, `x-amz-cf-id`, `x-amz-cf-pop`, `akamai-reference`,
    /// `x-vercel-id`, `x-served-by`, `x-fastly-request-id`, `x-request-id`, `x-github-request-id`…
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Someone visiting the site.
    Visitor,
    /// Someone who runs the site.
    Owner,
}

/// Something the extension can do for the visitor when a remedy's button is clicked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    ReloadBypassCache,
    AutoRetry {
        /// First delay; the extension backs off from here.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delay_s: Option<u32>,
    },
    ClearSiteCache,
    /// Deletes this site's cookies and stored data, after the visitor confirms: it signs them
    /// out of the site (a redirect loop's usual cure).
    SignOutSite,
    OpenPrivateWindow,
    CopyText {
        text: String,
    },
    OpenUrl {
        url: String,
    },
    CopyReport,
}

/// A remedy from the catalog, as ranked for one diagnosis (best first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Remedy {
    /// Stable id from the catalog (`hard_refresh`, `flush_dns`, …).
    #[cfg_attr(feature = "ts", tsify(type = "string"))]
    pub id: Text,
    pub audience: Audience,
    pub title: Message,
    pub steps: Vec<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
}

/// The engine's answer for one observation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Diagnosis {
    /// Always [`SCHEMA`].
    pub schema: u32,
    pub kind: Kind,
    /// Vendor/variant family id (`nginx`, `cloudflare-host`, `blank`, `network`, `none`, …).
    pub family: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u32>,
    pub fault: Fault,
    /// 0–1.
    #[serde(serialize_with = "f32_shortest")]
    pub confidence: f32,
    pub title: Message,
    pub summary: Message,
    pub evidence: Vec<Evidence>,
    pub ids: Vec<RequestId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u32>,
    pub remedies: Vec<Remedy>,
    /// Crate version and signature data version that produced this diagnosis.
    pub engine_version: String,
    pub signatures_version: String,
}

/// Serialises an `f32` as the `f64` that has the same shortest decimal form (0.94, not
/// 0.9399999976158142). serde_json already prints an f32 that way, but serde-wasm-bindgen hands
/// JS the f32's exact value as a JS number, so the WASM module's diagnosis and the CLI's JSON
/// would disagree (tests/js/parity.test.mjs) and stored shapes would change. Applied to every
/// serialised f32 (`#[serde(serialize_with = "…")]`); the CLI's output is unchanged.
pub fn f32_shortest<S: serde::Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(shortest_f64(*v))
}

/// [`f32_shortest`] for an optional value (`None` stays `None`).
pub fn opt_f32_shortest<S: serde::Serializer>(v: &Option<f32>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_some(&shortest_f64(*v)),
        None => s.serialize_none(),
    }
}

fn shortest_f64(v: f32) -> f64 {
    // f32's Display is its shortest round-tripping form; non-finite values have no JSON form
    // either way and are left to the serializer.
    if v.is_finite() {
        v.to_string().parse().unwrap_or(f64::from(v))
    } else {
        f64::from(v)
    }
}

#[cfg(test)]
mod f32_tests {
    #[test]
    fn f32_serialises_as_its_shortest_decimal() {
        // The f64 nearest to 0.94f32 is 0.9399999976158142; JS must see 0.94.
        assert_eq!(super::shortest_f64(0.94), 0.94);
        assert_eq!(super::shortest_f64(1.0), 1.0);
        assert_eq!(super::shortest_f64(123.456), 123.456);
        let mut out = Vec::new();
        super::f32_shortest(&0.94, &mut serde_json::Serializer::new(&mut out)).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "0.94");
    }
}
