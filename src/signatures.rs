//! Signature data compiled in from `signatures/` by `build.rs` (format: `signatures/README.md`).
//!
//! The tables are plain `static` data so they cost no start-up work and no allocation in the
//! WASM module; only the phrase matcher's small prefix tables over [`PATTERNS`] are built at first use.

use crate::model::{Audience, Fault, Kind, Message, Text};

/// A vendor/variant family from `signatures/families.toml`.
#[derive(Debug)]
pub struct FamilyDef {
    pub id: &'static str,
    /// Display name, passed to messages as `$1`.
    pub name: &'static str,
    pub fault: Fault,
    pub status_page: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderOp {
    Present,
    Equals,
    Prefix,
    Contains,
}

#[derive(Debug)]
pub struct HeaderRule {
    /// Lower-case header name.
    pub name: &'static str,
    pub op: HeaderOp,
    /// Lower-case value, compared case-insensitively.
    pub value: &'static str,
    pub weight: i32,
    pub variant: Option<&'static str>,
}

#[derive(Debug)]
pub struct BodyRule {
    /// Indexes into [`PATTERNS`]; the rule scores once if any of them occurs.
    pub patterns: &'static [u16],
    /// Whole normalised texts that score the rule.
    pub exact: &'static [&'static str],
    /// The rule scores when the body has no text at all.
    pub empty: bool,
    pub weight: i32,
    pub variant: Option<&'static str>,
}

#[derive(Debug)]
pub struct SignatureDef {
    pub id: &'static str,
    /// Index into [`FAMILIES`].
    pub family: u16,
    /// Inclusive status ranges the signature may fire on.
    pub status: &'static [(u16, u16)],
    /// Whether it may fire when the status is unknown.
    pub status_none: bool,
    /// Fixed kind; `None` = from the code (5xx server_error, 401/403/451 blocked, 4xx client_error).
    pub kind: Option<Kind>,
    pub fault: Option<Fault>,
    pub variant: Option<&'static str>,
    pub variants: &'static [(u32, &'static str)],
    /// Prefer the code the page prints (Cloudflare "Error 1016" sent with 530).
    pub code_from_page: bool,
    pub min_score: i32,
    pub priority: i32,
    /// Fires only when the normalised text is at most this long.
    pub max_text: Option<u32>,
    /// The page alone cannot prove this vendor (anyone can serve a copy of it, and its claim
    /// moves the blame): without one of its header rules matching, or when the page's own
    /// HTTP code contradicts the status, the engine answers `generic` ("looks like …").
    pub needs_header: bool,
    /// Phrases that veto the signature.
    pub unless: &'static [u16],
    pub title: Option<&'static str>,
    pub summary: Option<&'static str>,
    /// Indexes into [`REMEDIES`].
    pub remedies: Option<&'static [u16]>,
    pub body: &'static [BodyRule],
    pub headers: &'static [HeaderRule],
}

#[derive(Debug)]
pub struct NetErrorDef {
    pub variant: &'static str,
    pub kind: Kind,
    pub fault: Fault,
    /// Upper case, without the `net::` prefix.
    pub codes: &'static [&'static str],
    pub prefixes: &'static [&'static str],
    pub default: bool,
    pub title: &'static str,
    pub summary: &'static str,
    pub remedies: &'static [u16],
    pub confidence: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyCond {
    Empty,
    NonEmpty,
    Any,
}

#[derive(Debug)]
pub struct FallbackDef {
    pub id: &'static str,
    pub status: &'static [(u16, u16)],
    pub status_none: bool,
    pub body: BodyCond,
    pub kind: Option<Kind>,
    pub family: u16,
    pub variant: Option<&'static str>,
    pub fault: Fault,
    pub title: Option<&'static str>,
    pub summary: Option<&'static str>,
    pub remedies: Option<&'static [u16]>,
    pub confidence: f32,
}

#[derive(Debug)]
pub struct AutoMessageDef {
    pub codes: &'static [(u16, u16)],
    pub title: &'static str,
    pub summary: &'static str,
    /// Used instead of `summary` when no vendor is known (generic, blank, none).
    pub summary_site: Option<&'static str>,
    pub remedies: &'static [u16],
}

#[derive(Debug)]
pub struct HeaderIdDef {
    pub header: &'static str,
    pub kind: &'static str,
    pub colo: Option<&'static str>,
}

#[derive(Debug)]
pub struct PageIdDef {
    pub pattern: u16,
    pub kind: &'static str,
    /// Only on pages of these families (indexes into [`FAMILIES`]); empty = any.
    pub families: &'static [u16],
}

#[derive(Debug)]
pub enum ActionDef {
    None,
    ReloadBypassCache,
    AutoRetry(Option<u32>),
    ClearSiteCache,
    SignOutSite,
    OpenPrivateWindow,
    CopyText(&'static str),
    /// May contain `{host}`, or be `{status_page}`.
    OpenUrl(&'static str),
    CopyReport,
}

/// A built-in message: its id and English text (one of [`MESSAGES`], resolved by build.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageDef {
    pub id: &'static str,
    pub text: &'static str,
}

#[derive(Debug)]
pub struct RemedyDef {
    pub id: &'static str,
    pub audience: Audience,
    pub title: MessageDef,
    pub steps: &'static [MessageDef],
    pub os_steps: &'static [(&'static str, &'static [MessageDef])],
    pub os_copy: &'static [(&'static str, &'static str)],
    pub action: ActionDef,
}

include!(concat!(env!("OUT_DIR"), "/signatures_data.rs"));

/// The built-in id and English text of a core message (`diag_*`/`remedy_*`), if it exists.
pub fn message(id: &str) -> Option<(&'static str, &'static str)> {
    MESSAGES
        .binary_search_by(|(k, _)| (*k).cmp(id))
        .ok()
        .map(|i| MESSAGES[i])
}

/// Renders a core message with `args`, keeping only as many args as the text uses. Ids and
/// texts without placeholders borrow the built-in strings.
pub fn render_message(id: &str, args: &[String]) -> Message {
    match message(id) {
        Some((id, text)) => render(MessageDef { id, text }, args),
        None => render_text(Text::Owned(id.to_string()), "", args),
    }
}

/// [`render_message`] for a message whose text is already known (the remedy catalog's).
pub fn render(m: MessageDef, args: &[String]) -> Message {
    render_text(Text::Borrowed(m.id), m.text, args)
}

fn render_text(id: Text, text: &'static str, args: &[String]) -> Message {
    if text.is_empty() {
        return Message {
            text: id.clone(),
            id,
            args: Vec::new(),
        };
    }
    if !text.contains('$') {
        return Message {
            id,
            args: Vec::new(),
            text: Text::Borrowed(text),
        };
    }
    // One pass: copy the text, substituting $1..$9; remember the highest placeholder used.
    let mut out = String::with_capacity(text.len() + 16);
    let mut used = 0usize;
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let d = rest.as_bytes().get(i + 1).copied().unwrap_or(0);
        if (b'1'..=b'9').contains(&d) {
            let n = (d - b'0') as usize;
            used = used.max(n);
            out.push_str(args.get(n - 1).map_or("", String::as_str));
            rest = &rest[i + 2..];
        } else {
            out.push('$');
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    let args: Vec<String> = args.iter().take(used).cloned().collect();
    Message {
        id,
        args,
        text: Text::Owned(out),
    }
}

/// Family definition by id.
pub fn family(id: &str) -> Option<&'static FamilyDef> {
    FAMILIES.iter().find(|f| f.id == id)
}

/// True when `status` is inside one of the ranges.
pub fn status_in(ranges: &[(u16, u16)], status: u16) -> bool {
    ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&status))
}
