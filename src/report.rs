//! The support report: what a visitor hands to support, and how support replays it.
//!
//! A report is built from an allow-list, never from a deny-list: only the fields named here
//! are copied out of the observation, so a header or field added later can never leak into a
//! ticket by accident. Cookies, `authorization`, every other header, form data and the page
//! body stay out; the URL loses its userinfo always and its query and fragment unless the
//! visitor asked to keep them (then the report carries a warning). An opt-in adds a short,
//! tag-stripped text excerpt of the page.
//!
//! Replaying a report rebuilds an [`Observation`] from what the report carries (status,
//! allow-listed headers, network error, URL without query, excerpt, and the body phrases that
//! decided the recorded diagnosis) and runs today's engine on it, so support sees whether the
//! engine still agrees.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::model::{
    nullable, Diagnosis, Evidence, EvidenceSource, Fault, Header, Kind, Observation, RequestId,
};
use crate::{Error, Result};

/// Version of the report JSON shape. Bump on any incompatible change; replay refuses others.
pub const REPORT_SCHEMA: u32 = 1;

/// The only response headers a report may contain (lower-case). Each one is something a CDN
/// or hosting support desk asks for; none of them carries a credential.
pub const ALLOWED_HEADERS: [&str; 17] = [
    "server",
    "via",
    "cf-ray",
    "cf-cache-status",
    "cf-error-type",
    "x-cache",
    "x-amz-cf-id",
    "x-amz-cf-pop",
    "x-served-by",
    "x-fastly-request-id",
    "x-vercel-id",
    "x-request-id",
    "age",
    "retry-after",
    "date",
    "content-type",
    "content-length",
];

/// Cap of the opt-in page excerpt, in characters. Real error pages carry well under 1,000
/// characters of visible text (the largest in the shared corpus, a Cloudflare 522, has ~900).
pub const EXCERPT_MAX_CHARS: usize = 1000;

const MAX_URL_CHARS: usize = 2048;
const MAX_VALUE_CHARS: usize = 256;
const MAX_SAME_HEADER: usize = 4;
const MAX_IDS: usize = 16;
const MAX_SIGNALS: usize = 16;
const MAX_SIGNAL_CHARS: usize = 160;
const MAX_REMEDIES_TRIED: usize = 32;

/// Warning flag set when the visitor kept the query string and fragment.
pub const WARN_QUERY_KEPT: &str = "query_kept";
/// Warning flag set when the page excerpt is included.
pub const WARN_EXCERPT: &str = "excerpt_included";

/// What the extension keeps of a page body once it is diagnosed: its length, whether it was
/// blank, and the excerpt a report may include. The body itself (up to 64 K characters) is not
/// kept in the browser's session storage, whose quota many failing tabs would fill.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(default)]
pub struct BodySummary {
    /// Length in UTF-8 bytes.
    #[serde(deserialize_with = "nullable")]
    pub length: u64,
    #[serde(deserialize_with = "nullable")]
    pub blank: bool,
    /// The tag-stripped text a report's excerpt is cut from, at most [`EXCERPT_MAX_CHARS`].
    pub excerpt: Option<String>,
    /// The visible text's length as the engine measures it (see [`ReportResponse`]).
    pub text_length: Option<u64>,
    /// The first error code the page prints, as the engine reads it (see [`ReportResponse`]).
    pub page_code: Option<u32>,
}

/// The [`BodySummary`] of a body: what [`build`] reports of it, computed once.
pub fn body_summary(body: &str) -> BodySummary {
    let e = text_excerpt(body, EXCERPT_MAX_CHARS);
    BodySummary {
        length: body.len() as u64,
        blank: body.trim().is_empty(),
        excerpt: (!e.is_empty()).then_some(e),
        text_length: text_length_of(body),
        page_code: page_code_of(body),
    }
}

/// The text length a report records of a body: `None` for a blank one.
fn text_length_of(body: &str) -> Option<u64> {
    (!body.trim().is_empty()).then(|| text_length(body) as u64)
}

/// The first error code the page prints ("Error 1020", "502 Bad Gateway"), read by the
/// engine's own scan: it names a variant, and stands in for a missing status.
fn page_code_of(body: &str) -> Option<u32> {
    let norm = crate::normalize::normalize(body, true, crate::signatures::BODY_CAP);
    crate::scan::scan(&norm, body).page_code
}

/// One remedy the visitor already tried from the popup.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(default)]
pub struct RemedyTried {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    /// Free-form outcome from the extension, e.g. `done`, `still_failing`, `fixed`.
    #[serde(deserialize_with = "nullable")]
    pub outcome: String,
    /// When: RFC 3339 string, or milliseconds since the epoch (`Date.now()`), stored as UTC.
    #[serde(deserialize_with = "time_value")]
    pub at: Option<String>,
}

/// The parts of a diagnosis a report records. The extension hands over the whole diagnosis;
/// remedies and summary are skipped unread, which keeps their (large) deserialisers out of the
/// WASM build.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct DiagnosisInput {
    pub kind: Kind,
    pub family: String,
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default)]
    pub code: Option<u32>,
    pub fault: Fault,
    #[serde(default, deserialize_with = "nullable")]
    pub confidence: f32,
    #[serde(default, deserialize_with = "nullable")]
    pub title: TitleInput,
    #[serde(default, deserialize_with = "nullable")]
    pub evidence: Vec<Evidence>,
    #[serde(default, deserialize_with = "nullable")]
    pub ids: Vec<RequestId>,
    #[serde(default, deserialize_with = "nullable")]
    pub engine_version: String,
    #[serde(default, deserialize_with = "nullable")]
    pub signatures_version: String,
}

/// A diagnosis title: message id and English text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(default)]
pub struct TitleInput {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    #[serde(deserialize_with = "nullable")]
    pub text: String,
}

impl From<&Diagnosis> for DiagnosisInput {
    fn from(d: &Diagnosis) -> Self {
        DiagnosisInput::from(d.clone())
    }
}

/// By value: `build` hands over the diagnosis it computed, nothing is cloned.
impl From<Diagnosis> for DiagnosisInput {
    fn from(d: Diagnosis) -> Self {
        DiagnosisInput {
            kind: d.kind,
            family: d.family,
            variant: d.variant,
            code: d.code,
            fault: d.fault,
            confidence: d.confidence,
            title: TitleInput {
                id: d.title.id.into_owned(),
                text: d.title.text.into_owned(),
            },
            evidence: d.evidence,
            ids: d.ids,
            engine_version: d.engine_version,
            signatures_version: d.signatures_version,
        }
    }
}

/// What `buildReport` receives from the extension (see the BRIEF). Lenient: absent fields
/// take defaults. When `diagnosis` is absent the engine is run on the observation.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(default)]
pub struct ReportInput {
    #[serde(deserialize_with = "nullable")]
    pub observation: Observation,
    /// Stands for the body when the observation carries none (the extension stores only this).
    pub body_summary: Option<BodySummary>,
    pub diagnosis: Option<DiagnosisInput>,
    #[serde(deserialize_with = "nullable")]
    pub remedies_tried: Vec<RemedyTried>,
    #[serde(deserialize_with = "nullable")]
    pub recent_failures: u32,
    #[serde(deserialize_with = "nullable")]
    pub keep_query: bool,
    #[serde(deserialize_with = "nullable")]
    pub include_excerpt: bool,
    /// The visitor's local time with offset, e.g. `2026-11-21 17:03:12 +01:00`.
    pub local_time: Option<String>,
    /// IANA zone, e.g. `Europe/Berlin`.
    pub time_zone: Option<String>,
    pub extension_version: Option<String>,
    pub browser: Option<String>,
    pub os: Option<String>,
    /// Fallback time when the observation has no `observed_at` (the WASM shim fills it from
    /// the JS clock, because `SystemTime` traps on wasm32-unknown-unknown).
    #[serde(deserialize_with = "time_value")]
    pub generated_at: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(default)]
pub struct Versions {
    pub extension: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub engine: String,
    #[serde(deserialize_with = "nullable")]
    pub signatures: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(default)]
pub struct ReportTime {
    /// `YYYY-MM-DDTHH:MM:SSZ` (or the observation's own string when it cannot be parsed).
    pub utc: Option<String>,
    pub local: Option<String>,
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(default)]
pub struct Client {
    pub browser: Option<String>,
    pub os: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(default)]
pub struct ReportRequest {
    /// Without userinfo; without query and fragment unless `query_kept`.
    #[serde(deserialize_with = "nullable")]
    pub url: String,
    #[serde(deserialize_with = "nullable")]
    pub query_kept: bool,
    pub method: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(default)]
pub struct ReportResponse {
    pub status: Option<u16>,
    pub status_line: Option<String>,
    /// Only allowed headers ([`is_allowed_header`]), names lower-cased, values cleaned and
    /// capped.
    #[serde(deserialize_with = "nullable")]
    pub headers: Vec<Header>,
    pub net_error: Option<String>,
    /// Length in bytes of the body the extension read (`None` when it read none).
    pub body_length: Option<u64>,
    /// The body was empty or whitespace only (a blank page).
    #[serde(deserialize_with = "nullable")]
    pub body_blank: bool,
    #[serde(deserialize_with = "nullable")]
    pub body_truncated: bool,
    /// Opt-in, tag-stripped, at most [`EXCERPT_MAX_CHARS`] characters.
    pub excerpt: Option<String>,
    /// The body phrases that matched signature rules in the recorded diagnosis. They are
    /// signature literals (public text such as `502 bad gateway`), not free page text, and let
    /// a replay reproduce a body-based diagnosis without the body.
    #[serde(deserialize_with = "nullable")]
    pub signals: Vec<String>,
    /// The first error code the page prints, as the engine's scan reads it: it names the
    /// variant (Cloudflare's `1020` under a 403), contradicts the status (a 404 whose page
    /// copies Cloudflare's 521), or stands in for a missing status. A number, never page text.
    pub page_code: Option<u32>,
    /// Length of the page's visible text as the engine measured it (bytes of normalised
    /// text). A page without a status is judged by how long it is (an article that mentions
    /// "502 Bad Gateway" is not an error page), so a replay needs the length, not the text.
    pub text_length: Option<u64>,
}

/// The recorded diagnosis, as compared by replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct RecordedDiagnosis {
    pub kind: Kind,
    pub family: String,
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default)]
    pub code: Option<u32>,
    pub fault: Fault,
    #[serde(default, deserialize_with = "nullable")]
    pub title: String,
    #[serde(default, deserialize_with = "nullable")]
    pub title_id: String,
    #[serde(
        default,
        deserialize_with = "nullable",
        serialize_with = "crate::model::f32_shortest"
    )]
    pub confidence: f32,
}

impl RecordedDiagnosis {
    pub fn from_diagnosis(d: &Diagnosis) -> Self {
        Self::from_input(&DiagnosisInput::from(d))
    }

    pub fn from_input(d: &DiagnosisInput) -> Self {
        RecordedDiagnosis {
            kind: d.kind,
            family: clean(&d.family, MAX_VALUE_CHARS),
            variant: d.variant.as_deref().map(|v| clean(v, MAX_VALUE_CHARS)),
            code: d.code,
            fault: d.fault,
            title: clean(&d.title.text, MAX_VALUE_CHARS),
            title_id: clean(&d.title.id, MAX_VALUE_CHARS),
            confidence: d.confidence,
        }
    }
}

/// The report (`"report_schema": 1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Report {
    pub report_schema: u32,
    #[serde(default, deserialize_with = "nullable")]
    pub versions: Versions,
    #[serde(default, deserialize_with = "nullable")]
    pub time: ReportTime,
    #[serde(default, deserialize_with = "nullable")]
    pub client: Client,
    #[serde(default, deserialize_with = "nullable")]
    pub request: ReportRequest,
    pub response: ReportResponse,
    /// Ray ID and colo, request ids, Akamai reference… as the diagnosis extracted them.
    #[serde(default, deserialize_with = "nullable")]
    pub ids: Vec<RequestId>,
    pub diagnosis: RecordedDiagnosis,
    #[serde(default, deserialize_with = "nullable")]
    pub remedies_tried: Vec<RemedyTried>,
    /// How many times this site failed recently (as the extension counted).
    #[serde(default, deserialize_with = "nullable")]
    pub recent_failures: u32,
    /// Flags: [`WARN_QUERY_KEPT`], [`WARN_EXCERPT`].
    #[serde(default, deserialize_with = "nullable")]
    pub warnings: Vec<String>,
}

/// What `buildReport` returns.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct BuiltReport {
    pub report: Report,
    pub json: String,
    pub markdown: String,
}

/// A field where today's engine and the recorded diagnosis disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Difference {
    pub field: String,
    pub recorded: Option<String>,
    pub replayed: Option<String>,
}

/// What `replayReport` returns.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Replay {
    /// Today's diagnosis of what the report carries.
    pub diagnosis: Diagnosis,
    pub recorded: RecordedDiagnosis,
    /// The versions that produced the recorded diagnosis (they may differ from today's).
    pub recorded_versions: Versions,
    pub agrees: bool,
    pub differences: Vec<Difference>,
}

/// Builds the redacted report. Runs the engine only when the input carries no diagnosis.
pub fn build(input: &ReportInput) -> Report {
    let obs = &input.observation;
    let computed;
    let diagnosis = match &input.diagnosis {
        Some(d) => d,
        None => {
            computed = DiagnosisInput::from(crate::diagnose(obs));
            &computed
        }
    };

    let headers = allowed_headers(&obs.headers);
    let body = obs.body.as_deref();
    let summary = input.body_summary.as_ref();
    let excerpt = if input.include_excerpt {
        match body {
            Some(b) => {
                let e = text_excerpt(b, EXCERPT_MAX_CHARS);
                (!e.is_empty()).then_some(e)
            }
            // Cleaned and capped again (idempotent on `text_excerpt`'s output): the summary
            // comes back from outside the engine.
            None => summary
                .and_then(|s| s.excerpt.as_deref())
                .map(|e| clean(e, EXCERPT_MAX_CHARS))
                .filter(|e| !e.is_empty()),
        }
    } else {
        None
    };
    let mut warnings = Vec::new();
    if input.keep_query {
        warnings.push(WARN_QUERY_KEPT.to_string());
    }
    if excerpt.is_some() {
        warnings.push(WARN_EXCERPT.to_string());
    }

    let utc = obs
        .observed_at
        .as_deref()
        .or(input.generated_at.as_deref())
        .map(|t| to_utc(t).unwrap_or_else(|| clean(t, 64)));

    Report {
        report_schema: REPORT_SCHEMA,
        versions: Versions {
            extension: opt_clean(input.extension_version.as_deref(), 64),
            engine: clean(&diagnosis.engine_version, 64),
            signatures: clean(&diagnosis.signatures_version, 64),
        },
        time: ReportTime {
            utc,
            local: opt_clean(input.local_time.as_deref(), 64),
            time_zone: opt_clean(input.time_zone.as_deref(), 64),
        },
        client: Client {
            browser: opt_clean(input.browser.as_deref().or(obs.browser.as_deref()), 64),
            os: opt_clean(input.os.as_deref().or(obs.os.as_deref()), 64),
        },
        request: ReportRequest {
            url: redact_url(&obs.url, input.keep_query),
            query_kept: input.keep_query,
            method: opt_clean(obs.method.as_deref(), 16),
        },
        response: ReportResponse {
            status: obs.status,
            status_line: opt_clean(obs.status_line.as_deref(), MAX_VALUE_CHARS),
            headers,
            net_error: opt_clean(obs.net_error.as_deref(), 128),
            body_length: body.map(|b| b.len() as u64).or(summary.map(|s| s.length)),
            body_blank: match body {
                Some(b) => b.trim().is_empty(),
                None => summary.is_some_and(|s| s.blank),
            },
            body_truncated: obs.body_truncated,
            excerpt,
            signals: body_signals(diagnosis),
            page_code: match body {
                Some(b) => page_code_of(b),
                None => summary.and_then(|s| s.page_code),
            },
            text_length: match body {
                Some(b) => text_length_of(b),
                None => summary.and_then(|s| s.text_length),
            },
        },
        ids: diagnosis
            .ids
            .iter()
            .take(MAX_IDS)
            .map(|i| RequestId {
                kind: clean(&i.kind, 64),
                value: clean(&i.value, MAX_VALUE_CHARS),
            })
            .collect(),
        diagnosis: RecordedDiagnosis::from_input(diagnosis),
        remedies_tried: input
            .remedies_tried
            .iter()
            .take(MAX_REMEDIES_TRIED)
            .map(|r| RemedyTried {
                id: clean(&r.id, 64),
                outcome: clean(&r.outcome, 64),
                at: opt_clean(r.at.as_deref(), 64),
            })
            .collect(),
        recent_failures: input.recent_failures,
        warnings,
    }
}

/// Builds the report with its JSON and Markdown renderings.
pub fn build_all(input: &ReportInput) -> BuiltReport {
    let report = build(input);
    BuiltReport {
        json: to_json(&report),
        markdown: to_markdown(&report),
        report,
    }
}

/// Pretty JSON of a report (what "copy as JSON" copies).
pub fn to_json(report: &Report) -> String {
    // Serialising plain structs of strings and numbers cannot fail.
    // Compact, then indented here: `to_string_pretty` instantiates every report type's
    // serialiser a second time for the pretty formatter (~4 KB of WASM).
    indent_json(&serde_json::to_string(report).unwrap_or_default())
}

/// serde_json's pretty layout (two spaces, `": "`, `[]`/`{}` when empty) of compact JSON.
fn indent_json(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    let mut chars = compact.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                // A string, copied as is up to its unescaped closing quote.
                out.push('"');
                while let Some(c) = chars.next() {
                    out.push(c);
                    match c {
                        '\\' => out.extend(chars.next()),
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '{' | '[' => {
                out.push(c);
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek() == Some(&close) {
                    out.push(close);
                    chars.next();
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

/// Parses a report, with one-line errors that carry serde_json's line and column.
pub fn parse(json: &str) -> Result<Report> {
    let v: Value = serde_json::from_str(json)
        .map_err(|e| Error::bad_input(format!("report is not valid JSON: {e}")))?;
    let Some(o) = v.as_object() else {
        // Valid JSON of the wrong shape: say what a report is rather than "not valid JSON".
        return Err(Error::bad_input(format!(
            "a report is a JSON object, not {}",
            schema_text(&v)
        )));
    };
    // The version first, so a report from a future schema gets "unsupported schema" instead
    // of a confusing missing-field error from the rest.
    match o.get("report_schema") {
        None => {
            return Err(Error::bad_input(
                "not a Gateway Doctor report (no \"report_schema\" field)",
            ))
        }
        Some(Value::Number(n)) if n.as_u64() == Some(u64::from(REPORT_SCHEMA)) => {}
        Some(other) => {
            return Err(Error::bad_input(format!(
                "unsupported report_schema {} (this build reads {REPORT_SCHEMA})",
                schema_text(other)
            )))
        }
    }
    // The text again (not `v`): serde_json's errors then carry the line and column.
    from_json_text(json, "report")
}

/// `report_schema` of any JSON type, as it would be written (`1`, `"1"`, `true`, `{…}`).
/// Integers only through integer formatting: float formatting is ~15 KB of WASM.
fn schema_text(v: &Value) -> String {
    match v {
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => u.to_string(),
            (_, Some(i), _) => i.to_string(),
            (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => (f as i64).to_string(),
            _ => "(a fractional number)".into(),
        },
        Value::String(s) => format!("\"{}\"", clean(s, 20)),
        Value::Bool(b) => if *b { "true" } else { "false" }.into(),
        Value::Null => "null".into(),
        Value::Array(_) => "[…]".into(),
        Value::Object(_) => "{…}".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading reports and report input: serde derive on the types above. Lenient as the extension
// needs: absent or `null` fields take defaults (`nullable`); a required field missing or a
// field of the wrong type is an error naming the field's path (serde_path_to_error).

impl ReportInput {
    /// Reads the input from JSON text (what the fuzz target and tests do). Errors are one line
    /// with the field's path and serde_json's position.
    pub fn from_json(json: &str) -> Result<Self> {
        from_json_text(json, "report input")
    }
}

/// `T` from JSON text; errors read `{what}: {path}: {message} at line L column C`.
pub fn from_json_text<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> Result<T> {
    let mut de = serde_json::Deserializer::from_str(json);
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| Error::bad_input(format!("{what}: {}", path_error(&e))))?;
    de.end()
        .map_err(|e| Error::bad_input(format!("{what}: {e}")))?;
    Ok(value)
}

/// `path: message`, or the message alone when the error is about the whole document.
pub fn path_error<E: std::fmt::Display>(e: &serde_path_to_error::Error<E>) -> String {
    let path = e.path().to_string();
    if path == "." {
        e.inner().to_string()
    } else {
        format!("{path}: {}", e.inner())
    }
}

/// An observation from JSON text (the shape of [`Observation`]'s serde derive).
pub fn observation_from_json(json: &str) -> Result<Observation> {
    from_json_text(json, "observation")
}

/// A time field: an RFC 3339 string or epoch milliseconds (`Date.now()`), stored as RFC 3339
/// UTC when it can be; `null` or absent is `None`.
fn time_value<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<String>, D::Error> {
    struct TimeVisitor;
    impl<'de> serde::de::Visitor<'de> for TimeVisitor {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an RFC 3339 time or milliseconds since the epoch")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<Self::Value, E> {
            Ok(Some(to_utc(s).unwrap_or_else(|| s.to_string())))
        }
        fn visit_u64<E: serde::de::Error>(self, ms: u64) -> std::result::Result<Self::Value, E> {
            Ok(Some(from_epoch_s((ms / 1000) as i64)))
        }
        fn visit_i64<E: serde::de::Error>(self, ms: i64) -> std::result::Result<Self::Value, E> {
            Ok(Some(from_epoch_s(ms.div_euclid(1000))))
        }
        fn visit_f64<E: serde::de::Error>(self, ms: f64) -> std::result::Result<Self::Value, E> {
            let secs = if ms.is_finite() {
                (ms / 1000.0).floor() as i64
            } else {
                0
            };
            Ok(Some(from_epoch_s(secs)))
        }
        fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(
            self,
            d: D2,
        ) -> std::result::Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_option(TimeVisitor)
}

/// The observation a replay diagnoses: what the report carries, nothing invented beyond the
/// recorded body phrases.
pub fn replay_observation(report: &Report) -> Observation {
    let r = &report.response;
    let no_text = r.text_length == Some(0) && r.signals.is_empty() && r.excerpt.is_none();
    let body = if r.body_blank || no_text {
        // A blank page (or markup without text) has no phrases; the engine must see it empty,
        // as the visitor did.
        Some(String::new())
    } else {
        // The excerpt, plus the recorded phrases it does not already contain (they may have
        // been in markup the excerpt strips, or past its cap). Phrases it contains are not
        // repeated, so rules on the whole body ("body is exactly …") still see the same text.
        // A code the page printed comes first, where the page's own first code was.
        let mut body = r
            .page_code
            .map(|c| format!("error {c}\n"))
            .unwrap_or_default();
        body.push_str(r.excerpt.as_deref().unwrap_or_default());
        // ASCII folding is enough here (signature phrases are compared after the engine's own
        // normalisation anyway) and keeps Unicode case tables out of the WASM build.
        let folded = body.to_ascii_lowercase();
        for s in &r.signals {
            if !folded.contains(&s.to_ascii_lowercase()) {
                if !body.is_empty() {
                    body.push('\n');
                }
                body.push_str(s);
            }
        }
        if let Some(want) = r.text_length {
            pad_text(&mut body, want as usize);
        }
        (!body.is_empty()).then_some(body)
    };
    Observation {
        url: report.request.url.clone(),
        method: report.request.method.clone(),
        status: r.status,
        status_line: r.status_line.clone(),
        headers: r.headers.clone(),
        body,
        body_truncated: r.body_truncated,
        net_error: r.net_error.clone(),
        browser: report.client.browser.clone(),
        os: report.client.os.clone(),
        observed_at: report.time.utc.clone(),
    }
}

/// The visible text length the engine measures of `body`, read as HTML. Always as HTML, on
/// both sides of a replay, so that a summary computed without the headers (the extension
/// keeps only the summary) measures what the replay measures; for text without markup, the
/// only kind the engine reads as plain, both readings give the same length.
/// 0 when the page has no visible text (markup only), which the engine reads as blank.
fn text_length(body: &str) -> usize {
    let n = crate::normalize::normalize(body, true, crate::signatures::BODY_CAP);
    if n.visible == 0 {
        0
    } else {
        n.fold.len()
    }
}

/// Words that no signature phrase contains (a test checks), used to give a replayed body the
/// recorded text length without adding anything the engine could recognise.
pub const PAD_WORD: &str = "lorem ";

/// Appends neutral words to `body` until the engine would measure `want` bytes of text.
fn pad_text(body: &mut String, want: usize) {
    let have = text_length(body);
    if have >= want {
        return;
    }
    let missing = want - have;
    body.push('\n');
    body.push_str(&PAD_WORD.repeat(missing.div_ceil(PAD_WORD.len())));
}

/// Re-diagnoses a parsed report with today's engine and compares.
pub fn replay(report: &Report) -> Replay {
    let diagnosis = crate::diagnose(&replay_observation(report));
    let differences = compare(&report.diagnosis, &diagnosis);
    Replay {
        agrees: differences.is_empty(),
        differences,
        recorded: report.diagnosis.clone(),
        recorded_versions: report.versions.clone(),
        diagnosis,
    }
}

/// Parses and replays report JSON (the CLI's and `replayReport`'s entry point).
pub fn replay_json(json: &str) -> Result<Replay> {
    Ok(replay(&parse(json)?))
}

/// The fields replay compares: kind, family, variant, code, fault.
pub fn compare(recorded: &RecordedDiagnosis, today: &Diagnosis) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut check = |field: &str, a: Option<String>, b: Option<String>| {
        if a != b {
            out.push(Difference {
                field: field.into(),
                recorded: a,
                replayed: b,
            });
        }
    };
    check(
        "kind",
        Some(kind_id(recorded.kind).to_string()),
        Some(kind_id(today.kind).to_string()),
    );
    check(
        "family",
        Some(recorded.family.clone()),
        Some(today.family.clone()),
    );
    check("variant", recorded.variant.clone(), today.variant.clone());
    check(
        "code",
        recorded.code.map(|c| c.to_string()),
        today.code.map(|c| c.to_string()),
    );
    check(
        "fault",
        Some(fault_id(recorded.fault).to_string()),
        Some(fault_id(today.fault).to_string()),
    );
    out
}

/// The JSON id of a [`Kind`] (`server_error`, …), as serde writes it. Spelled out rather than
/// serialised through `serde_json::Value`, which would pull the whole JSON tree type into WASM;
/// the unit test below keeps it in step with the serde names.
pub fn kind_id(k: Kind) -> &'static str {
    match k {
        Kind::ServerError => "server_error",
        Kind::ClientError => "client_error",
        Kind::Blocked => "blocked",
        Kind::Challenge => "challenge",
        Kind::NetworkError => "network_error",
        Kind::Ok => "ok",
    }
}

/// The JSON id of a [`Fault`] (`site`, `cdn`, …).
pub fn fault_id(f: Fault) -> &'static str {
    match f {
        Fault::Site => "site",
        Fault::Cdn => "cdn",
        Fault::Browser => "browser",
        Fault::Network => "network",
        Fault::None => "none",
        Fault::Unknown => "unknown",
    }
}

// ---------------------------------------------------------------------------------------------
// Redaction helpers

/// Removes userinfo always, and query and fragment unless `keep_query`. Works on the raw
/// string (no URL parser in the WASM build); the authority ends at the first `/`, `\`, `?` or
/// `#` as in the WHATWG URL parser for special schemes, and userinfo ends at its last `@`.
pub fn redact_url(url: &str, keep_query: bool) -> String {
    let url = url.trim();
    let (scheme, rest) = match url.find("://") {
        Some(i) => (&url[..i + 3], &url[i + 3..]),
        None => ("", url),
    };
    let (authority, tail) = if scheme.is_empty() {
        ("", rest)
    } else {
        let end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
        rest.split_at(end)
    };
    let host = match authority.rfind('@') {
        Some(i) => &authority[i + 1..],
        None => authority,
    };
    let tail = if keep_query {
        tail
    } else {
        let end = tail.find(['?', '#']).unwrap_or(tail.len());
        &tail[..end]
    };
    clean(&format!("{scheme}{host}{tail}"), MAX_URL_CHARS)
}

/// Headers that carry credentials or session state. No report ever contains them, even if
/// a signature should one day look at one (the allow-list below grows with the signatures);
/// a test keeps the signatures off them.
pub const NEVER_REPORTED: [&str; 6] = [
    "cookie",
    "set-cookie",
    "authorization",
    "proxy-authorization",
    "www-authenticate",
    "proxy-authenticate",
];

/// Whether a response header may go into a report: one of [`ALLOWED_HEADERS`], or one the
/// engine reads to decide a diagnosis (a signature's header rule, or a request-id header),
/// so that a report always carries what its diagnosis rests on and replays to it (Express's
/// `x-powered-by`, GitHub's `x-github-request-id`). The list is the signature data's own,
/// public vendor header names: an allow-list still, never a deny-list.
pub fn is_allowed_header(name: &str) -> bool {
    // Every name in these tables is lower case.
    let name = name.trim().to_ascii_lowercase();
    let name = name.as_str();
    !NEVER_REPORTED.contains(&name)
        && (ALLOWED_HEADERS.contains(&name)
            || crate::signatures::HEADER_IDS
                .iter()
                .any(|h| h.header == name)
            || crate::signatures::SIGNATURES
                .iter()
                .any(|s| s.headers.iter().any(|r| r.name == name)))
}

/// Only the allow-listed headers ([`is_allowed_header`]), names lower-cased, at most a few
/// values per name.
pub fn allowed_headers(headers: &[Header]) -> Vec<Header> {
    let mut out: Vec<Header> = Vec::new();
    for h in headers {
        let name = h.name.trim().to_ascii_lowercase();
        if !is_allowed_header(&name) {
            continue;
        }
        if out.iter().filter(|o| o.name == name).count() >= MAX_SAME_HEADER {
            continue;
        }
        out.push(Header::new(name, clean(&h.value, MAX_VALUE_CHARS)));
    }
    out
}

/// The body phrases of the diagnosis' signature evidence: the quoted part of a detail such
/// as `body: "502 bad gateway"`. Evidence without a signature id or without a quoted phrase is
/// skipped, so free page text never gets in.
fn body_signals(d: &DiagnosisInput) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for ev in &d.evidence {
        if ev.source != EvidenceSource::Body || ev.signature.is_none() {
            continue;
        }
        // Only a quoted phrase is a matched literal; details such as `body: empty` describe
        // the body rather than quote it.
        let detail = ev.detail.as_str();
        let phrase = match (detail.find('"'), detail.rfind('"')) {
            (Some(a), Some(b)) if b > a + 1 => &detail[a + 1..b],
            _ => continue,
        };
        let phrase = clean(phrase.trim(), MAX_SIGNAL_CHARS);
        if !phrase.is_empty() && !out.contains(&phrase) {
            out.push(phrase);
        }
        if out.len() >= MAX_SIGNALS {
            break;
        }
    }
    out
}

/// Strips control characters and bidi overrides (a hostile page must not reorder what support
/// reads) and caps the length in characters, marking a cut with `…`.
pub fn clean(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars * 4));
    let mut n = 0;
    for c in s.chars() {
        let c = if c == '\t' || c == '\n' || c == '\r' {
            ' '
        } else if c.is_control() || is_bidi_control(c) {
            continue;
        } else {
            c
        };
        if n == max_chars {
            out.push('…');
            break;
        }
        out.push(c);
        n += 1;
    }
    out
}

fn opt_clean(s: Option<&str>, max: usize) -> Option<String> {
    s.map(|s| clean(s.trim(), max)).filter(|s| !s.is_empty())
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Visible text of an HTML (or plain-text) body: script/style/comments dropped, tags turned
/// into spaces, common entities decoded, whitespace folded, capped at `max_chars`.
pub fn text_excerpt(body: &str, max_chars: usize) -> String {
    let mut text = String::new();
    let bytes = body.as_bytes();
    let lower_starts = |i: usize, pat: &str| {
        bytes.len() >= i + pat.len() && bytes[i..i + pat.len()].eq_ignore_ascii_case(pat.as_bytes())
    };
    let mut i = 0;
    // The visible text is at most the body's length; stop early once far past the cap.
    while i < bytes.len() && text.len() < max_chars * 8 {
        let b = bytes[i];
        if b == b'<' {
            let next = bytes.get(i + 1).copied().unwrap_or(b' ');
            if lower_starts(i, "<!--") {
                i = find_from(body, i + 4, "-->").map_or(bytes.len(), |j| j + 3);
                text.push(' ');
                continue;
            }
            if next.is_ascii_alphabetic() || next == b'/' || next == b'!' || next == b'?' {
                let raw_end = ["script", "style", "noscript", "template"]
                    .iter()
                    .find(|t| {
                        lower_starts(i + 1, t)
                            && !bytes
                                .get(i + 1 + t.len())
                                .is_some_and(|c| c.is_ascii_alphanumeric())
                    })
                    .map(|t| format!("</{t}"));
                let tag_end = find_from(body, i, ">").map_or(bytes.len(), |j| j + 1);
                i = match raw_end {
                    Some(close) => find_ci(body, tag_end, &close)
                        .and_then(|j| find_from(body, j, ">"))
                        .map_or(bytes.len(), |j| j + 1),
                    None => tag_end,
                };
                text.push(' ');
                continue;
            }
        }
        if b == b'&' {
            if let Some((c, len)) = decode_entity(&body[i..]) {
                text.push(c);
                i += len;
                continue;
            }
        }
        // Copy one whole UTF-8 character.
        let ch = body[i..].chars().next().unwrap_or(' ');
        text.push(ch);
        i += ch.len_utf8();
    }
    let mut folded = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !folded.is_empty() {
            folded.push(' ');
        }
        folded.push_str(word);
    }
    clean(&folded, max_chars)
}

fn find_from(hay: &str, from: usize, needle: &str) -> Option<usize> {
    hay.get(from..)?.find(needle).map(|j| j + from)
}

fn find_ci(hay: &str, from: usize, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    (from..h.len().saturating_sub(n.len() - 1)).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

fn decode_entity(s: &str) -> Option<(char, usize)> {
    let end = s
        .get(..12)?
        .find(';')
        .or_else(|| s.find(';').filter(|&e| e < 12))?;
    let name = &s[1..end];
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "rsquo" | "lsquo" => '\'',
        "hellip" => '…',
        "ndash" => '–',
        "mdash" => '—',
        _ => {
            let num = name.strip_prefix('#')?;
            let v = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(v)?
        }
    };
    Some((c, end + 1))
}

// ---------------------------------------------------------------------------------------------
// Time helpers (no chrono: the WASM build stays small)

/// `2026-11-21T17:03:12.345+01:00` (or with a space, or `Z`) → `2026-11-21T16:03:12Z`.
pub fn to_utc(s: &str) -> Option<String> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    // Digits by hand rather than `str::parse` and `str::replace` (smaller in WASM).
    let num = |r: std::ops::Range<usize>| digits(b.get(r)?);
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' {
        return None;
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = &b[19..];
    if let [b'.', r @ ..] = rest {
        let n = r.iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &r[n..];
    }
    let rest = rest.trim_ascii_start();
    let offset_s = if rest.eq_ignore_ascii_case(b"z") {
        0
    } else {
        let sign = match rest.first()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        // `+01:00`, `+0100` (any colons dropped).
        let mut o = [0u8; 4];
        let mut n = 0;
        for &c in rest[1..].iter().filter(|&&c| c != b':') {
            *o.get_mut(n)? = c;
            n += 1;
        }
        if n != 4 {
            return None;
        }
        sign * (digits(&o[..2])? * 3600 + digits(&o[2..])? * 60)
    };
    let secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset_s;
    Some(from_epoch_s(secs))
}

/// A non-empty run of ASCII digits (at most 4 here) as a number.
fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() {
        return None;
    }
    b.iter().try_fold(0i64, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
    })
}

/// Seconds since the epoch → `YYYY-MM-DDTHH:MM:SSZ`.
pub fn from_epoch_s(secs: i64) -> String {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

// Howard Hinnant's days_from_civil / civil_from_days
// (https://howardhinnant.github.io/date_algorithms.html).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

// ---------------------------------------------------------------------------------------------
// Markdown

/// The Markdown rendering for tickets and email. Every value from the page or the server sits
/// in a code span (no HTML or links render from it) with table pipes escaped.
pub fn to_markdown(r: &Report) -> String {
    use std::fmt::Write;
    let mut m = String::new();
    let d = &r.diagnosis;
    m.push_str("## Gateway Doctor report\n\n");
    if r.warnings.iter().any(|w| w == WARN_QUERY_KEPT) {
        let _ = writeln!(
            m,
            "> **Warning:** the URL keeps its query string and fragment; they can contain \
             personal data or tokens.\n"
        );
    }
    let _ = writeln!(m, "**Diagnosis:** {}\n", escape_text(&d.title));
    // Pushed piece by piece rather than joined from a Vec: `join` is ~1 KB of WASM per use.
    let _ = write!(
        m,
        "kind {} · family {}",
        code(kind_id(d.kind)),
        code(&d.family)
    );
    if let Some(v) = &d.variant {
        let _ = write!(m, " · variant {}", code(v));
    }
    if let Some(c) = d.code {
        let _ = write!(m, " · code {}", code(&c.to_string()));
    }
    let _ = writeln!(m, " · fault {}\n", code(fault_id(d.fault)));

    m.push_str("| Field | Value |\n|---|---|\n");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(m, "| {k} | {v} |");
    };
    row("URL", code(&r.request.url));
    if let Some(meth) = &r.request.method {
        row("Method", code(meth));
    }
    let status = match (r.response.status, &r.response.status_line) {
        (Some(s), Some(l)) => format!("{} ({})", code(&s.to_string()), code(l)),
        (Some(s), None) => code(&s.to_string()),
        (None, _) => "no response".into(),
    };
    row("Status", status);
    if let Some(e) = &r.response.net_error {
        row("Network error", code(e));
    }
    row("Time (UTC)", opt_code(&r.time.utc));
    let local = match (&r.time.local, &r.time.time_zone) {
        (Some(l), Some(z)) => format!("{} ({})", code(l), code(z)),
        (Some(l), None) => code(l),
        (None, Some(z)) => format!("zone {}", code(z)),
        (None, None) => "unknown".into(),
    };
    row("Local time", local);
    row("Browser", opt_code(&r.client.browser));
    row("OS", opt_code(&r.client.os));
    row(
        "Versions",
        format!(
            "extension {}, engine {}, signatures {}",
            opt_code(&r.versions.extension),
            code(&r.versions.engine),
            code(&r.versions.signatures)
        ),
    );
    row(
        "Failures on this site recently",
        code(&r.recent_failures.to_string()),
    );
    for id in &r.ids {
        row(&format!("ID {}", code(&id.kind)), code(&id.value));
    }

    if !r.response.headers.is_empty() {
        m.push_str("\n**Response headers** (allow-listed only)\n\n| Header | Value |\n|---|---|\n");
        for h in &r.response.headers {
            let _ = writeln!(m, "| {} | {} |", code(&h.name), code(&h.value));
        }
    }
    if !r.remedies_tried.is_empty() {
        m.push_str("\n**Already tried**\n\n");
        for t in &r.remedies_tried {
            let at =
                t.at.as_deref()
                    .map(|a| format!(" at {}", code(a)))
                    .unwrap_or_default();
            let _ = writeln!(m, "- {}: {}{at}", code(&t.id), code(&t.outcome));
        }
    }
    if let Some(e) = &r.response.excerpt {
        let fence = "`".repeat(3.max(longest_run(e, '`') + 1));
        let _ = writeln!(m, "\n**Page text excerpt**\n\n{fence}text\n{e}\n{fence}");
    }
    let _ = writeln!(
        m,
        "\nNo cookies, credentials, other headers, form data or page body are included{}.",
        if r.response.excerpt.is_some() {
            " (except the excerpt above)"
        } else {
            ""
        }
    );
    m
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for ch in s.chars() {
        cur = if ch == c { cur + 1 } else { 0 };
        best = best.max(cur);
    }
    best
}

/// A Markdown code span that survives backticks in the value and table cells.
fn code(s: &str) -> String {
    let s = clean(s, MAX_URL_CHARS).replace('|', "\\|");
    if s.is_empty() {
        return "``".into();
    }
    let ticks = "`".repeat(longest_run(&s, '`') + 1);
    if ticks.len() > 1 || s.starts_with(' ') || s.ends_with(' ') {
        format!("{ticks} {s} {ticks}")
    } else {
        format!("`{s}`")
    }
}

fn opt_code(s: &Option<String>) -> String {
    s.as_deref().map_or_else(|| "unknown".into(), code)
}

/// Escapes Markdown/HTML syntax in plain text.
fn escape_text(s: &str) -> String {
    let mut out = String::new();
    for c in clean(s, MAX_VALUE_CHARS).chars() {
        if "\\`*_{}[]()<>#+-!|~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_conversion() {
        assert_eq!(
            to_utc("2026-11-21T17:03:12.345+01:00").as_deref(),
            Some("2026-11-21T16:03:12Z")
        );
        assert_eq!(
            to_utc("2026-11-21 17:03:12 +01:00").as_deref(),
            Some("2026-11-21T16:03:12Z")
        );
        assert_eq!(
            to_utc("2024-03-01T00:30:00-01:00").as_deref(),
            Some("2024-03-01T01:30:00Z")
        );
        assert_eq!(
            to_utc("2024-03-01T00:30:00+02:00").as_deref(),
            Some("2024-02-29T22:30:00Z")
        );
        assert_eq!(
            to_utc("2024-03-01T00:30:00Z").as_deref(),
            Some("2024-03-01T00:30:00Z")
        );
        assert_eq!(
            to_utc("2024-03-01T00:30:00.123456 +0200").as_deref(),
            Some("2024-02-29T22:30:00Z")
        );
        assert_eq!(to_utc("2024-03-01T00:30:00+2:00"), None);
        assert_eq!(to_utc("2024-03-01T00:30:00+02:00:00"), None);
        assert_eq!(to_utc("2024-03-01T0a:30:00Z"), None);
        assert_eq!(to_utc("yesterday"), None);
        assert_eq!(to_utc("2024-13-01T00:30:00Z"), None);
        assert_eq!(from_epoch_s(0), "1970-01-01T00:00:00Z");
        assert_eq!(from_epoch_s(1_795_719_792), "2026-11-26T19:03:12Z");
    }

    #[test]
    fn ids_match_serde_names() {
        use Fault::*;
        use Kind::*;
        for k in [
            ServerError,
            ClientError,
            Blocked,
            Challenge,
            NetworkError,
            Ok,
        ] {
            assert_eq!(serde_json::to_value(k).unwrap(), kind_id(k));
        }
        for f in [Site, Cdn, Browser, Network, None, Unknown] {
            assert_eq!(serde_json::to_value(f).unwrap(), fault_id(f));
        }
    }

    #[test]
    fn url_redaction() {
        let u = "https://alice:hunter2@example.com:8443/a/b?token=SECRET#frag";
        assert_eq!(redact_url(u, false), "https://example.com:8443/a/b");
        assert_eq!(
            redact_url(u, true),
            "https://example.com:8443/a/b?token=SECRET#frag"
        );
        assert_eq!(redact_url("https://u@h?x=1", false), "https://h");
        assert_eq!(redact_url("https://h/p@q?x", false), "https://h/p@q");
        assert_eq!(redact_url("https://a@b@h\\p?q", false), "https://h\\p");
        assert_eq!(redact_url("about:blank#x", false), "about:blank");
    }

    #[test]
    fn excerpt_strips_markup() {
        let b = "<html><head><style>p{x:1}</style><script>var s='</p>';alert(1)</script>\
                 <title>502 Bad Gateway</title></head><body><!-- note --><h1>502&nbsp;Bad&#32;Gateway</h1>\
                 <p>a &lt; b &amp; c</p><SCRIPT type=x>evil()</SCRIPT></body></html>";
        assert_eq!(
            text_excerpt(b, 100),
            "502 Bad Gateway 502 Bad Gateway a < b & c"
        );
        assert_eq!(text_excerpt("x < y", 100), "x < y");
        assert_eq!(text_excerpt(&"é".repeat(50), 10).chars().count(), 11);
        assert_eq!(text_excerpt("<script>never closed", 10), "");
    }

    #[test]
    fn indented_json_is_serde_json_pretty() {
        let v = serde_json::json!({
            "a": [], "b": {}, "c": [1, {"d": "x\"y:,{[", "e": null}], "f": "\\", "g": -1.5
        });
        let compact = serde_json::to_string(&v).unwrap();
        assert_eq!(
            indent_json(&compact),
            serde_json::to_string_pretty(&v).unwrap()
        );
        // And a whole report, with hostile text in it.
        let obs = Observation {
            url: "https://h.example/a\"b?q".into(),
            status: Some(502),
            headers: vec![Header::new("Server", "x\\\"}]{[,: y")],
            body: Some("<title>502 Bad Gateway</title> nginx".into()),
            ..Default::default()
        };
        let input = ReportInput {
            observation: obs,
            include_excerpt: true,
            ..Default::default()
        };
        let r = build(&input);
        assert_eq!(to_json(&r), serde_json::to_string_pretty(&r).unwrap());
    }

    #[test]
    fn markdown_code_spans_hold() {
        assert_eq!(code("a`b|c"), "`` a`b\\|c ``");
        assert_eq!(code("plain"), "`plain`");
        assert_eq!(escape_text("<b>*x*</b>"), "\\<b\\>\\*x\\*\\</b\\>");
    }
}
