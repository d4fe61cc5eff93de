//! Compiles the signature data under `signatures/` and the core messages under `locales/core/`
//! into static Rust tables (`$OUT_DIR/signatures_data.rs`, included by `src/signatures.rs`).
//!
//! The data is validated here so that a bad signature is a failing build, never a rule that is
//! silently dropped at run time: unknown fields, unknown family/kind/fault/remedy/profile ids,
//! empty or duplicate phrases, phrases that are not in normalised form (so could never match),
//! malformed header rules and status specs, message ids missing from `locales/core/en.json`,
//! and a German translation that lacks a key or a placeholder all panic with the file and the
//! offending entry. The format is documented in `signatures/README.md`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

// ---------------------------------------------------------------------------------------------
// Input shapes (deny_unknown_fields: a typo in a field name must fail the build, not be ignored)

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EngineFile {
    body_cap: u32,
    unknown_status_max_text: u32,
    confidence_base: f32,
    confidence_per_point: f32,
    confidence_cap: f32,
    code_after: Vec<String>,
    code_before: Vec<String>,
    retry_after: Vec<String>,
    code_variants: BTreeMap<String, String>,
    #[serde(default)]
    client_faults: BTreeMap<String, String>,
    auto_message: Vec<AutoMessage>,
    header_id: Vec<HeaderId>,
    page_id: Vec<PageId>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AutoMessage {
    codes: Vec<String>,
    title: String,
    summary: String,
    summary_site: Option<String>,
    remedies: RemedyRef,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderId {
    header: String,
    kind: String,
    colo: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageId {
    after: String,
    kind: String,
    family: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FamiliesFile {
    family: BTreeMap<String, FamilyIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FamilyIn {
    name: String,
    fault: String,
    status_page: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureFile {
    #[serde(default)]
    signature: Vec<SignatureIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureIn {
    id: String,
    family: String,
    status: Option<Vec<String>>,
    kind: Option<String>,
    fault: Option<String>,
    variant: Option<String>,
    variants: Option<BTreeMap<String, String>>,
    code: Option<String>,
    min_score: Option<i32>,
    priority: Option<i32>,
    max_text: Option<u32>,
    needs_header: Option<bool>,
    unless: Option<Vec<String>>,
    title: Option<String>,
    summary: Option<String>,
    remedies: Option<RemedyRef>,
    #[serde(default)]
    body: Vec<BodyRuleIn>,
    #[serde(default)]
    header: Vec<HeaderRuleIn>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RemedyRef {
    Profile(String),
    List(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyRuleIn {
    any: Option<Vec<String>>,
    exact: Option<Vec<String>>,
    empty: Option<bool>,
    weight: i32,
    variant: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderRuleIn {
    name: String,
    equals: Option<String>,
    prefix: Option<String>,
    contains: Option<String>,
    present: Option<bool>,
    weight: i32,
    variant: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NetFile {
    net_error: Vec<NetIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NetIn {
    variant: String,
    kind: String,
    fault: String,
    #[serde(default)]
    codes: Vec<String>,
    #[serde(default)]
    prefixes: Vec<String>,
    #[serde(default)]
    default: bool,
    title: String,
    summary: String,
    remedies: RemedyRef,
    confidence: f32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FallbackFile {
    fallback: Vec<FallbackIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FallbackIn {
    id: String,
    status: Vec<String>,
    body: String,
    kind: String,
    family: String,
    variant: Option<String>,
    fault: String,
    title: Option<String>,
    summary: Option<String>,
    remedies: Option<RemedyRef>,
    confidence: f32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemediesFile {
    remedy: Vec<RemedyIn>,
    profiles: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemedyIn {
    id: String,
    audience: String,
    title: String,
    steps: Vec<String>,
    action: Option<ActionIn>,
    os_steps: Option<BTreeMap<String, Vec<String>>>,
    os_copy: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionIn {
    #[serde(rename = "type")]
    kind: String,
    delay_s: Option<u32>,
    text: Option<String>,
    url: Option<String>,
}

/// One entry of a Chrome-style messages.json: `{ "message": "...", "description": "..." }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageIn {
    message: String,
    #[allow(dead_code)]
    description: Option<String>,
    #[allow(dead_code)]
    placeholders: Option<serde_json::Value>,
}

/// A JSON object whose keys must be unique (serde_json keeps the last of duplicate keys
/// silently; a duplicated message id is a mistake in the data).
struct UniqueKeys<V>(BTreeMap<String, V>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for UniqueKeys<V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Visit<V> {
            type Value = UniqueKeys<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of messages")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((k, v)) = m.next_entry::<String, V>()? {
                    if out.contains_key(&k) {
                        return Err(serde::de::Error::custom(format!("duplicate key {k:?}")));
                    }
                    out.insert(k, v);
                }
                Ok(UniqueKeys(out))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

// ---------------------------------------------------------------------------------------------

const KINDS: &[(&str, &str)] = &[
    ("server_error", "Kind::ServerError"),
    ("client_error", "Kind::ClientError"),
    ("blocked", "Kind::Blocked"),
    ("challenge", "Kind::Challenge"),
    ("network_error", "Kind::NetworkError"),
    ("ok", "Kind::Ok"),
];
const FAULTS: &[(&str, &str)] = &[
    ("site", "Fault::Site"),
    ("cdn", "Fault::Cdn"),
    ("browser", "Fault::Browser"),
    ("network", "Fault::Network"),
    ("none", "Fault::None"),
    ("unknown", "Fault::Unknown"),
];
const OSES: &[&str] = &["win", "mac", "linux", "cros", "android"];

// Pattern roles, a bit set per automaton pattern (mirrored in src/signatures.rs).
const ROLE_PHRASE: u8 = 1;
const ROLE_CODE_AFTER: u8 = 2;
const ROLE_CODE_BEFORE: u8 = 4;
const ROLE_RETRY: u8 = 8;
const ROLE_PAGE_ID: u8 = 16;

struct Ctx {
    patterns: Vec<String>,
    index: HashMap<String, usize>,
    roles: Vec<u8>,
}

impl Ctx {
    fn pattern(&mut self, p: &str, role: u8, whr: &str) -> usize {
        check_phrase(p, whr);
        let i = match self.index.get(p) {
            Some(&i) => i,
            None => {
                self.patterns.push(p.to_string());
                self.roles.push(0);
                self.index.insert(p.to_string(), self.patterns.len() - 1);
                self.patterns.len() - 1
            }
        };
        self.roles[i] |= role;
        i
    }
}

fn fail(msg: String) -> ! {
    panic!("\n\nsignature data error: {msg}\n(see signatures/README.md)\n");
}

/// A phrase must already be in the form the normaliser produces, otherwise it can never match.
fn check_phrase(p: &str, whr: &str) {
    if p.trim().is_empty() {
        fail(format!("{whr}: empty phrase"));
    }
    // The matcher (src/classify.rs, `phrases`) files phrases by their first three bytes; a
    // shorter phrase would match almost any page anyway.
    if p.len() < 3 {
        fail(format!("{whr}: phrase {p:?} is shorter than 3 bytes"));
    }
    if p != p.trim() || p.contains("  ") || p.chars().any(|c| c.is_whitespace() && c != ' ') {
        fail(format!(
            "{whr}: phrase {p:?} has leading/trailing/doubled/non-space whitespace"
        ));
    }
    if p.chars().any(|c| c.is_uppercase()) {
        fail(format!("{whr}: phrase {p:?} must be lower case"));
    }
    if p.chars()
        .any(|c| matches!(c, '’' | '‘' | '“' | '”' | '–' | '—' | '…' | '\u{a0}'))
    {
        fail(format!(
            "{whr}: phrase {p:?} contains a character the normaliser rewrites (’ ‘ “ ” – — … nbsp)"
        ));
    }
    if p.contains('<') || p.contains('>') || p.contains("&#") || p.contains("&amp;") {
        fail(format!(
            "{whr}: phrase {p:?} contains markup or an entity; write the decoded text"
        ));
    }
}

fn check_id(id: &str, whr: &str) {
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        fail(format!("{whr}: id {id:?} must be [a-z0-9_-]+"));
    }
}

fn lookup<'a>(table: &'a [(&str, &str)], v: &str, what: &str, whr: &str) -> &'a str {
    table
        .iter()
        .find(|(k, _)| *k == v)
        .map(|(_, r)| *r)
        .unwrap_or_else(|| fail(format!("{whr}: unknown {what} {v:?}")))
}

/// "5xx", "502", "520-527", "none", "any" → (ranges, allows_none).
fn parse_status(specs: &[String], whr: &str) -> (Vec<(u16, u16)>, bool) {
    if specs.is_empty() {
        fail(format!("{whr}: empty status list"));
    }
    let mut ranges = Vec::new();
    let mut none = false;
    for s in specs {
        let s = s.as_str();
        if s == "none" {
            none = true;
        } else if s == "any" {
            none = true;
            ranges.push((0, 999));
        } else if s.len() == 3 && s.ends_with("xx") {
            let d = s[..1]
                .parse::<u16>()
                .ok()
                .filter(|d| (1..=5).contains(d))
                .unwrap_or_else(|| fail(format!("{whr}: bad status class {s:?}")));
            ranges.push((d * 100, d * 100 + 99));
        } else if let Some((a, b)) = s.split_once('-') {
            let a = parse_code(a, whr);
            let b = parse_code(b, whr);
            if a > b {
                fail(format!("{whr}: empty status range {s:?}"));
            }
            ranges.push((a, b));
        } else {
            let c = parse_code(s, whr);
            ranges.push((c, c));
        }
    }
    (ranges, none)
}

fn parse_code(s: &str, whr: &str) -> u16 {
    s.parse::<u16>()
        .ok()
        .filter(|c| (100..=999).contains(c))
        .unwrap_or_else(|| fail(format!("{whr}: bad status code {s:?}")))
}

fn read(path: &Path) -> String {
    println!("cargo:rerun-if-changed={}", path.display());
    fs::read_to_string(path).unwrap_or_else(|e| fail(format!("{}: {e}", path.display())))
}

fn parse<T: for<'de> Deserialize<'de>>(path: &Path) -> T {
    toml::from_str(&read(path)).unwrap_or_else(|e| fail(format!("{}: {e}", path.display())))
}

fn placeholders(text: &str) -> BTreeSet<u8> {
    let b = text.as_bytes();
    let mut out = BTreeSet::new();
    for i in 0..b.len().saturating_sub(1) {
        if b[i] == b'$' && (b'1'..=b'9').contains(&b[i + 1]) {
            out.insert(b[i + 1] - b'0');
        }
    }
    out
}

fn load_messages(path: &Path) -> BTreeMap<String, String> {
    let raw = serde_json::from_str::<UniqueKeys<MessageIn>>(&read(path))
        .unwrap_or_else(|e| fail(format!("{}: {e}", path.display())))
        .0;
    let mut out = BTreeMap::new();
    for (k, v) in raw {
        if !(k.starts_with("diag_") || k.starts_with("remedy_")) {
            fail(format!(
                "{}: key {k:?} must start with diag_ or remedy_",
                path.display()
            ));
        }
        if !k
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '@')
        {
            fail(format!(
                "{}: key {k:?} is not a valid Chrome message name",
                path.display()
            ));
        }
        if v.message.trim().is_empty() {
            fail(format!("{}: {k:?} has an empty message", path.display()));
        }
        out.insert(k, v.message);
    }
    out
}

// ---------------------------------------------------------------------------------------------

fn main() {
    // The data sits at the repository root, beside this script. The nearest ancestor with a
    // `signatures/` folder is the root (tests/golden.rs runs this script on a copy of the data
    // with CARGO_MANIFEST_DIR set to it).
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest
        .ancestors()
        .find(|d| d.join("signatures").is_dir())
        .unwrap_or_else(|| {
            fail(format!(
                "no signatures/ folder above {}",
                manifest.display()
            ))
        })
        .to_path_buf();
    let sig_dir = root.join("signatures");
    for dir in ["signatures", "signatures/vendors", "locales/core"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }

    let version = read(&sig_dir.join("VERSION")).trim().to_string();
    if version.is_empty() || version.contains(char::is_whitespace) {
        fail("signatures/VERSION must hold one version string".into());
    }

    let en = load_messages(&root.join("locales/core/en.json"));
    let de = load_messages(&root.join("locales/core/de.json"));
    for (k, text) in &en {
        match de.get(k) {
            None => fail(format!("locales/core/de.json lacks {k:?}")),
            Some(d) if placeholders(d) != placeholders(text) => fail(format!(
                "locales/core/de.json: {k:?} uses placeholders {:?}, en.json {:?}",
                placeholders(d),
                placeholders(text)
            )),
            _ => {}
        }
    }
    for k in de.keys() {
        if !en.contains_key(k) {
            fail(format!(
                "locales/core/de.json has {k:?}, which en.json lacks"
            ));
        }
    }
    let mut msg = |id: &str, whr: &str| -> String {
        if !en.contains_key(id) {
            fail(format!(
                "{whr}: message id {id:?} is not in locales/core/en.json"
            ));
        }
        id.to_string()
    };
    // A remedy's messages with their English text resolved here, once: a diagnosis renders
    // dozens of them, and looking each id up in MESSAGES (a binary search of string compares)
    // took ~5% of a small page's diagnosis in the WASM module (paired runs).
    let msg_def = |id: &str, whr: &str| -> String {
        match en.get(id) {
            Some(text) => format!("MessageDef {{ id: {id:?}, text: {text:?} }}"),
            None => fail(format!(
                "{whr}: message id {id:?} is not in locales/core/en.json"
            )),
        }
    };

    let engine: EngineFile = parse(&sig_dir.join("engine.toml"));
    let families: FamiliesFile = parse(&sig_dir.join("families.toml"));
    let remedies: RemediesFile = parse(&sig_dir.join("remedies.toml"));
    let net: NetFile = parse(&sig_dir.join("network.toml"));
    let fallbacks: FallbackFile = parse(&sig_dir.join("fallback.toml"));

    let mut ctx = Ctx {
        patterns: Vec::new(),
        index: HashMap::new(),
        roles: Vec::new(),
    };
    let mut out = String::new();
    writeln!(
        out,
        "// @generated by build.rs from signatures/ — do not edit."
    )
    .unwrap();
    writeln!(out, "pub const VERSION: &str = {version:?};").unwrap();

    // ---- families
    let fam_ids: Vec<&String> = families.family.keys().collect();
    let fam_index = |f: &str, whr: &str| -> usize {
        fam_ids.iter().position(|x| *x == f).unwrap_or_else(|| {
            fail(format!(
                "{whr}: unknown family {f:?} (add it to families.toml)"
            ))
        })
    };
    for required in ["generic", "blank", "network", "none"] {
        fam_index(required, "families.toml");
    }
    writeln!(out, "pub static FAMILIES: &[FamilyDef] = &[").unwrap();
    for (id, f) in &families.family {
        let whr = format!("families.toml [family.{id}]");
        check_id(id, &whr);
        let fault = lookup(FAULTS, &f.fault, "fault", &whr);
        if let Some(u) = &f.status_page {
            if !u.starts_with("https://") {
                fail(format!("{whr}: status_page must be an https URL"));
            }
        }
        writeln!(
            out,
            "  FamilyDef {{ id: {id:?}, name: {:?}, fault: {fault}, status_page: {:?} }},",
            f.name, f.status_page
        )
        .unwrap();
    }
    writeln!(out, "];").unwrap();

    // ---- remedies + profiles
    let remedy_ids: Vec<&str> = remedies.remedy.iter().map(|r| r.id.as_str()).collect();
    {
        let mut seen = BTreeSet::new();
        for id in &remedy_ids {
            check_id(id, "remedies.toml");
            if !seen.insert(*id) {
                fail(format!("remedies.toml: duplicate remedy id {id:?}"));
            }
        }
    }
    for (name, list) in &remedies.profiles {
        let mut seen = BTreeSet::new();
        for r in list {
            if !remedy_ids.contains(&r.as_str()) {
                fail(format!(
                    "remedies.toml profile {name:?}: remedy id {r:?} is not in the catalog"
                ));
            }
            if !seen.insert(r) {
                fail(format!(
                    "remedies.toml profile {name:?}: {r:?} listed twice"
                ));
            }
        }
    }
    let resolve = |r: &RemedyRef, whr: &str| -> String {
        let list: Vec<String> = match r {
            RemedyRef::Profile(p) => remedies
                .profiles
                .get(p)
                .unwrap_or_else(|| fail(format!("{whr}: unknown remedy profile {p:?}")))
                .clone(),
            RemedyRef::List(l) => {
                for id in l {
                    if !remedy_ids.contains(&id.as_str()) {
                        fail(format!("{whr}: remedy id {id:?} is not in the catalog"));
                    }
                }
                l.clone()
            }
        };
        let idx: Vec<String> = list
            .iter()
            .map(|id| remedy_ids.iter().position(|x| x == id).unwrap().to_string())
            .collect();
        format!("&[{}]", idx.join(", "))
    };

    // The `type` of every action a rendered remedy can carry (remedies.toml names them as the
    // JSON does): an OS command to copy is a copy_text action.
    let mut action_types = BTreeSet::new();
    writeln!(out, "pub static REMEDIES: &[RemedyDef] = &[").unwrap();
    for r in &remedies.remedy {
        let whr = format!("remedies.toml remedy {:?}", r.id);
        if let Some(a) = &r.action {
            action_types.insert(a.kind.clone());
        }
        if r.os_copy.as_ref().is_some_and(|m| !m.is_empty()) {
            action_types.insert("copy_text".to_string());
        }
        let audience = match r.audience.as_str() {
            "visitor" => "Audience::Visitor",
            "owner" => "Audience::Owner",
            a => fail(format!("{whr}: unknown audience {a:?}")),
        };
        let title = msg_def(&r.title, &whr);
        let steps: Vec<String> = r.steps.iter().map(|s| msg_def(s, &whr)).collect();
        let mut os_steps = String::new();
        if let Some(m) = &r.os_steps {
            for (os, list) in m {
                if !OSES.contains(&os.as_str()) {
                    fail(format!("{whr}: unknown os {os:?}"));
                }
                let l: Vec<String> = list.iter().map(|s| msg_def(s, &whr)).collect();
                write!(os_steps, "({os:?}, &[{}]), ", l.join(", ")).unwrap();
            }
        }
        let mut os_copy = String::new();
        if let Some(m) = &r.os_copy {
            for (os, cmd) in m {
                if !OSES.contains(&os.as_str()) || cmd.trim().is_empty() {
                    fail(format!("{whr}: bad os_copy entry {os:?}"));
                }
                write!(os_copy, "({os:?}, {cmd:?}), ").unwrap();
            }
        }
        let action = match &r.action {
            None => "ActionDef::None".to_string(),
            Some(a) => {
                let only = |ok: &[&str]| {
                    let given = [
                        ("delay_s", a.delay_s.is_some()),
                        ("text", a.text.is_some()),
                        ("url", a.url.is_some()),
                    ];
                    for (f, present) in given {
                        if present && !ok.contains(&f) {
                            fail(format!("{whr}: action {:?} takes no {f:?}", a.kind));
                        }
                    }
                };
                match a.kind.as_str() {
                    "reload_bypass_cache" => {
                        only(&[]);
                        "ActionDef::ReloadBypassCache".into()
                    }
                    "auto_retry" => {
                        only(&["delay_s"]);
                        format!("ActionDef::AutoRetry({:?})", a.delay_s)
                    }
                    "clear_site_cache" => {
                        only(&[]);
                        "ActionDef::ClearSiteCache".into()
                    }
                    "open_private_window" => {
                        only(&[]);
                        "ActionDef::OpenPrivateWindow".into()
                    }
                    "sign_out_site" => {
                        only(&[]);
                        "ActionDef::SignOutSite".into()
                    }
                    "copy_report" => {
                        only(&[]);
                        "ActionDef::CopyReport".into()
                    }
                    "copy_text" => {
                        only(&["text"]);
                        let t = a.text.as_deref().filter(|t| !t.trim().is_empty());
                        let t = t.unwrap_or_else(|| fail(format!("{whr}: copy_text needs text")));
                        format!("ActionDef::CopyText({t:?})")
                    }
                    "open_url" => {
                        only(&["url"]);
                        let u = a.url.as_deref().unwrap_or("");
                        if !(u.starts_with("https://") || u == "{status_page}") {
                            fail(format!(
                                "{whr}: open_url needs an https url or {{status_page}}"
                            ));
                        }
                        // Only the placeholders src/remedies.rs fills in; {url} (the page's
                        // whole address, query included) only at the very end, where nothing
                        // of the catalog's url can end up inside the page's query.
                        let rest = u.replace("{status_page}", "").replace("{host}", "");
                        let rest = rest.strip_suffix("{url}").unwrap_or(&rest);
                        if rest.contains('{') || rest.contains('}') {
                            fail(format!(
                                "{whr}: open_url {u:?}: only {{host}}, {{status_page}} and a final {{url}} are filled in"
                            ));
                        }
                        format!("ActionDef::OpenUrl({u:?})")
                    }
                    k => fail(format!("{whr}: unknown action type {k:?}")),
                }
            }
        };
        writeln!(
            out,
            "  RemedyDef {{ id: {:?}, audience: {audience}, title: {title}, steps: &[{}], os_steps: &[{os_steps}], os_copy: &[{os_copy}], action: {action} }},",
            r.id,
            steps.join(", ")
        )
        .unwrap();
    }
    writeln!(out, "];").unwrap();
    writeln!(
        out,
        "/// The `type` of every action a rendered remedy can carry (an `Action`'s serde tag).\npub static ACTION_TYPES: &[&str] = &{:?};",
        action_types.iter().collect::<Vec<_>>()
    )
    .unwrap();

    // ---- engine globals
    writeln!(out, "pub const BODY_CAP: usize = {};", engine.body_cap).unwrap();
    if engine.body_cap < 1024 {
        fail("engine.toml: body_cap below 1 KiB".into());
    }
    writeln!(
        out,
        "pub const UNKNOWN_STATUS_MAX_TEXT: usize = {};",
        engine.unknown_status_max_text
    )
    .unwrap();
    for (name, v) in [
        ("CONFIDENCE_BASE", engine.confidence_base),
        ("CONFIDENCE_PER_POINT", engine.confidence_per_point),
        ("CONFIDENCE_CAP", engine.confidence_cap),
    ] {
        if !(0.0..=1.0).contains(&v) {
            fail(format!("engine.toml: {name} must be within 0..1"));
        }
        writeln!(out, "pub const {name}: f32 = {v:?};").unwrap();
    }
    for p in &engine.code_after {
        ctx.pattern(p, ROLE_CODE_AFTER, "engine.toml code_after");
    }
    for p in &engine.code_before {
        ctx.pattern(p, ROLE_CODE_BEFORE, "engine.toml code_before");
    }
    for p in &engine.retry_after {
        ctx.pattern(p, ROLE_RETRY, "engine.toml retry_after");
    }
    writeln!(out, "pub static CLIENT_FAULTS: &[(u16, Fault)] = &[").unwrap();
    for (code, f) in &engine.client_faults {
        let c: u16 = code
            .parse()
            .ok()
            .filter(|c| (400..=499).contains(c))
            .unwrap_or_else(|| {
                fail(format!(
                    "engine.toml client_faults: {code:?} is not a 4xx code"
                ))
            });
        let fault = lookup(FAULTS, f, "fault", "engine.toml client_faults");
        writeln!(out, "  ({c}, {fault}),").unwrap();
    }
    writeln!(out, "];").unwrap();
    writeln!(out, "pub static CODE_VARIANTS: &[(u32, &str)] = &[").unwrap();
    for (code, v) in &engine.code_variants {
        let c: u32 = code
            .parse()
            .unwrap_or_else(|_| fail(format!("engine.toml code_variants: bad code {code:?}")));
        check_id(v, "engine.toml code_variants");
        writeln!(out, "  ({c}, {v:?}),").unwrap();
    }
    writeln!(out, "];").unwrap();

    writeln!(out, "pub static AUTO_MESSAGES: &[AutoMessageDef] = &[").unwrap();
    let mut has_any = false;
    for (i, a) in engine.auto_message.iter().enumerate() {
        let whr = format!("engine.toml auto_message #{}", i + 1);
        let (ranges, _) = parse_status(&a.codes, &whr);
        has_any |= ranges.contains(&(0, 999));
        writeln!(
            out,
            "  AutoMessageDef {{ codes: &{ranges:?}, title: {:?}, summary: {:?}, summary_site: {:?}, remedies: {} }},",
            msg(&a.title, &whr),
            msg(&a.summary, &whr),
            a.summary_site.as_deref().map(|m| msg(m, &whr)),
            resolve(&a.remedies, &whr)
        )
        .unwrap();
    }
    if !has_any {
        fail("engine.toml: the last auto_message must cover \"any\" code".into());
    }
    writeln!(out, "];").unwrap();

    writeln!(out, "pub static HEADER_IDS: &[HeaderIdDef] = &[").unwrap();
    for h in &engine.header_id {
        if h.header != h.header.to_ascii_lowercase() || h.header.is_empty() {
            fail(format!(
                "engine.toml header_id {:?}: name must be lower case",
                h.header
            ));
        }
        writeln!(
            out,
            "  HeaderIdDef {{ header: {:?}, kind: {:?}, colo: {:?} }},",
            h.header, h.kind, h.colo
        )
        .unwrap();
    }
    writeln!(out, "];").unwrap();

    let mut page_ids = String::new();
    for p in &engine.page_id {
        let whr = format!("engine.toml page_id {:?}", p.after);
        let pat = ctx.pattern(&p.after, ROLE_PAGE_ID, &whr);
        let fams: Vec<String> = p
            .family
            .iter()
            .flatten()
            .map(|f| fam_index(f, &whr).to_string())
            .collect();
        writeln!(
            page_ids,
            "  PageIdDef {{ pattern: {pat}, kind: {:?}, families: &[{}] }},",
            p.kind,
            fams.join(", ")
        )
        .unwrap();
    }
    writeln!(out, "pub static PAGE_IDS: &[PageIdDef] = &[\n{page_ids}];").unwrap();

    // ---- signatures
    let mut files: Vec<PathBuf> = fs::read_dir(sig_dir.join("vendors"))
        .unwrap_or_else(|e| fail(format!("signatures/vendors: {e}")))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        fail("signatures/vendors holds no .toml file".into());
    }
    let mut sig_ids = BTreeSet::new();
    let mut sigs = String::new();
    for path in &files {
        let file: SignatureFile = parse(path);
        let fname = path.file_name().unwrap().to_string_lossy().to_string();
        for s in &file.signature {
            let whr = format!("vendors/{fname} signature {:?}", s.id);
            check_id(&s.id, &whr);
            if !sig_ids.insert(s.id.clone()) {
                fail(format!("{whr}: duplicate signature id"));
            }
            let family = fam_index(&s.family, &whr);
            if ["network", "none", "blank"].contains(&s.family.as_str()) {
                fail(format!(
                    "{whr}: family {:?} is reserved for the engine",
                    s.family
                ));
            }
            let default_status = vec!["5xx".to_string(), "none".to_string()];
            let (ranges, none) = parse_status(s.status.as_ref().unwrap_or(&default_status), &whr);
            let kind = s
                .kind
                .as_deref()
                .map(|k| format!("Some({})", lookup(KINDS, k, "kind", &whr)))
                .unwrap_or_else(|| "None".into());
            let fault = s
                .fault
                .as_deref()
                .map(|f| format!("Some({})", lookup(FAULTS, f, "fault", &whr)))
                .unwrap_or_else(|| "None".into());
            if let Some(v) = &s.variant {
                check_id(v, &whr);
            }
            let mut variants = String::new();
            for (code, v) in s.variants.iter().flatten() {
                let c: u32 = code
                    .parse()
                    .unwrap_or_else(|_| fail(format!("{whr}: variants: bad code {code:?}")));
                check_id(v, &whr);
                write!(variants, "({c}, {v:?}), ").unwrap();
            }
            let code_from_page = match s.code.as_deref() {
                None | Some("status") => false,
                Some("page") => true,
                Some(o) => fail(format!(
                    "{whr}: code must be \"status\" or \"page\", not {o:?}"
                )),
            };
            let min_score = s.min_score.unwrap_or(10);
            if min_score <= 0 {
                fail(format!("{whr}: min_score must be positive"));
            }
            let mut seen_phrases = BTreeSet::new();
            let mut unless = Vec::new();
            for p in s.unless.iter().flatten() {
                if !seen_phrases.insert(p.clone()) {
                    fail(format!("{whr}: duplicate phrase {p:?}"));
                }
                unless.push(ctx.pattern(p, ROLE_PHRASE, &whr).to_string());
            }
            let needs_header = s.needs_header.unwrap_or(false);
            if needs_header && s.header.is_empty() {
                fail(format!(
                    "{whr}: needs_header without a header rule could never be confirmed"
                ));
            }
            if s.body.is_empty() && s.header.is_empty() {
                fail(format!(
                    "{whr}: a signature needs at least one body or header rule"
                ));
            }
            let mut body = String::new();
            let mut reachable = 0;
            for (i, b) in s.body.iter().enumerate() {
                let whr = format!("{whr} body rule #{}", i + 1);
                if b.weight <= 0 {
                    fail(format!("{whr}: weight must be positive"));
                }
                reachable += b.weight;
                if let Some(v) = &b.variant {
                    check_id(v, &whr);
                }
                let given = [b.any.is_some(), b.exact.is_some(), b.empty.is_some()];
                if given.iter().filter(|x| **x).count() != 1 {
                    fail(format!("{whr}: give exactly one of any, exact, empty"));
                }
                let mut pats = Vec::new();
                for p in b.any.iter().flatten() {
                    if !seen_phrases.insert(p.clone()) {
                        fail(format!("{whr}: duplicate phrase {p:?}"));
                    }
                    pats.push(ctx.pattern(p, ROLE_PHRASE, &whr).to_string());
                }
                if b.any.as_ref().is_some_and(|a| a.is_empty())
                    || b.exact.as_ref().is_some_and(|a| a.is_empty())
                {
                    fail(format!("{whr}: empty phrase list"));
                }
                let mut exact = Vec::new();
                for p in b.exact.iter().flatten() {
                    check_phrase(p, &whr);
                    if !seen_phrases.insert(p.clone()) {
                        fail(format!("{whr}: duplicate phrase {p:?}"));
                    }
                    exact.push(format!("{p:?}"));
                }
                if b.empty == Some(false) {
                    fail(format!("{whr}: write `empty = true` or leave it out"));
                }
                writeln!(
                    body,
                    "      BodyRule {{ patterns: &[{}], exact: &[{}], empty: {}, weight: {}, variant: {:?} }},",
                    pats.join(", "),
                    exact.join(", "),
                    b.empty.unwrap_or(false),
                    b.weight,
                    b.variant
                )
                .unwrap();
            }
            let mut headers = String::new();
            for (i, h) in s.header.iter().enumerate() {
                let whr = format!("{whr} header rule #{}", i + 1);
                if h.name.is_empty()
                    || h.name != h.name.to_ascii_lowercase()
                    || !h
                        .name
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'-')
                {
                    fail(format!(
                        "{whr}: header name {:?} must be lower-case token",
                        h.name
                    ));
                }
                if h.weight <= 0 {
                    fail(format!("{whr}: weight must be positive"));
                }
                reachable += h.weight;
                if let Some(v) = &h.variant {
                    check_id(v, &whr);
                }
                let ops = [
                    ("Equals", &h.equals),
                    ("Prefix", &h.prefix),
                    ("Contains", &h.contains),
                ];
                let given: Vec<_> = ops.iter().filter(|(_, v)| v.is_some()).collect();
                let (op, value) = match (given.as_slice(), h.present) {
                    ([], Some(true)) => ("Present", String::new()),
                    ([(op, Some(v))], None) => {
                        if v.trim().is_empty() || v.to_lowercase() != *v {
                            fail(format!("{whr}: value {v:?} must be non-empty lower case"));
                        }
                        (*op, v.clone())
                    }
                    _ => fail(format!(
                        "{whr}: give exactly one of equals, prefix, contains or present = true"
                    )),
                };
                writeln!(
                    headers,
                    "      HeaderRule {{ name: {:?}, op: HeaderOp::{op}, value: {value:?}, weight: {}, variant: {:?} }},",
                    h.name, h.weight, h.variant
                )
                .unwrap();
            }
            // Status is evidence too (+2 in classify.rs) when the signature accepts it.
            if reachable + 2 < min_score {
                fail(format!(
                    "{whr}: rules can reach at most {} points, below min_score {min_score}",
                    reachable + 2
                ));
            }
            let opt_msg = |m: &Option<String>, msg: &mut dyn FnMut(&str, &str) -> String| {
                m.as_deref()
                    .map(|m| format!("Some({:?})", msg(m, &whr)))
                    .unwrap_or_else(|| "None".into())
            };
            let title = opt_msg(&s.title, &mut msg);
            let summary = opt_msg(&s.summary, &mut msg);
            let rem = s
                .remedies
                .as_ref()
                .map(|r| format!("Some({})", resolve(r, &whr)))
                .unwrap_or_else(|| "None".into());
            writeln!(
                sigs,
                "  SignatureDef {{\n    id: {:?}, family: {family}, status: &{ranges:?}, status_none: {none},\n    kind: {kind}, fault: {fault}, variant: {:?}, variants: &[{variants}],\n    code_from_page: {code_from_page}, min_score: {min_score}, priority: {}, max_text: {:?},\n    needs_header: {needs_header}, unless: &[{}], title: {title}, summary: {summary}, remedies: {rem},\n    body: &[\n{body}    ],\n    headers: &[\n{headers}    ],\n  }},",
                s.id,
                s.variant,
                s.priority.unwrap_or(0),
                s.max_text,
                unless.join(", "),
            )
            .unwrap();
        }
    }
    writeln!(out, "pub static SIGNATURES: &[SignatureDef] = &[\n{sigs}];").unwrap();

    // ---- network errors
    writeln!(out, "pub static NET_ERRORS: &[NetErrorDef] = &[").unwrap();
    let mut defaults = 0;
    let mut seen_codes = BTreeSet::new();
    for n in &net.net_error {
        let whr = format!("network.toml net_error {:?}", n.variant);
        check_id(&n.variant, &whr);
        let kind = lookup(KINDS, &n.kind, "kind", &whr);
        let fault = lookup(FAULTS, &n.fault, "fault", &whr);
        if n.default {
            defaults += 1;
        } else if n.codes.is_empty() && n.prefixes.is_empty() {
            fail(format!(
                "{whr}: needs codes or prefixes (or default = true)"
            ));
        }
        let norm = |c: &String| -> String {
            let c = c.trim();
            let c = c.strip_prefix("net::").unwrap_or(c);
            if c.is_empty() || c.contains(char::is_whitespace) {
                fail(format!("{whr}: bad code {c:?}"));
            }
            c.to_ascii_uppercase()
        };
        let codes: Vec<String> = n.codes.iter().map(norm).collect();
        for c in &codes {
            if !seen_codes.insert(c.clone()) {
                fail(format!("{whr}: code {c:?} listed twice"));
            }
        }
        let prefixes: Vec<String> = n.prefixes.iter().map(norm).collect();
        writeln!(
            out,
            "  NetErrorDef {{ variant: {:?}, kind: {kind}, fault: {fault}, codes: &{codes:?}, prefixes: &{prefixes:?}, default: {}, title: {:?}, summary: {:?}, remedies: {}, confidence: {:?} }},",
            n.variant,
            n.default,
            msg(&n.title, &whr),
            msg(&n.summary, &whr),
            resolve(&n.remedies, &whr),
            n.confidence
        )
        .unwrap();
    }
    if defaults != 1 {
        fail("network.toml: exactly one net_error needs default = true".into());
    }
    writeln!(out, "];").unwrap();

    // ---- fallbacks
    writeln!(out, "pub static FALLBACKS: &[FallbackDef] = &[").unwrap();
    let mut catch_all = false;
    for f in &fallbacks.fallback {
        let whr = format!("fallback.toml {:?}", f.id);
        let (ranges, none) = parse_status(&f.status, &whr);
        let body = match f.body.as_str() {
            "empty" => "BodyCond::Empty",
            "nonempty" => "BodyCond::NonEmpty",
            "any" => "BodyCond::Any",
            b => fail(format!(
                "{whr}: body must be empty, nonempty or any, not {b:?}"
            )),
        };
        catch_all |= body == "BodyCond::Any" && none && ranges.contains(&(0, 999));
        let kind = if f.kind == "auto" {
            "None".to_string()
        } else {
            format!("Some({})", lookup(KINDS, &f.kind, "kind", &whr))
        };
        let fault = lookup(FAULTS, &f.fault, "fault", &whr);
        let family = fam_index(&f.family, &whr);
        if let Some(v) = &f.variant {
            check_id(v, &whr);
        }
        let title = f
            .title
            .as_deref()
            .map(|m| format!("Some({:?})", msg(m, &whr)))
            .unwrap_or_else(|| "None".into());
        let summary = f
            .summary
            .as_deref()
            .map(|m| format!("Some({:?})", msg(m, &whr)))
            .unwrap_or_else(|| "None".into());
        let rem = f
            .remedies
            .as_ref()
            .map(|r| format!("Some({})", resolve(r, &whr)))
            .unwrap_or_else(|| "None".into());
        writeln!(
            out,
            "  FallbackDef {{ id: {:?}, status: &{ranges:?}, status_none: {none}, body: {body}, kind: {kind}, family: {family}, variant: {:?}, fault: {fault}, title: {title}, summary: {summary}, remedies: {rem}, confidence: {:?} }},",
            f.id, f.variant, f.confidence
        )
        .unwrap();
    }
    if !catch_all {
        fail("fallback.toml: the last entry must match any status and any body".into());
    }
    writeln!(out, "];").unwrap();

    // ---- patterns and messages
    writeln!(out, "pub static PATTERNS: &[&str] = &{:?};", ctx.patterns).unwrap();
    writeln!(out, "pub static PATTERN_ROLES: &[u8] = &{:?};", ctx.roles).unwrap();
    writeln!(
        out,
        "pub const ROLE_PHRASE: u8 = {ROLE_PHRASE};\npub const ROLE_CODE_AFTER: u8 = {ROLE_CODE_AFTER};\npub const ROLE_CODE_BEFORE: u8 = {ROLE_CODE_BEFORE};\npub const ROLE_RETRY: u8 = {ROLE_RETRY};\npub const ROLE_PAGE_ID: u8 = {ROLE_PAGE_ID};"
    )
    .unwrap();
    // Only English is embedded (Message.text, the CLI); the extension reads the locale files.
    writeln!(out, "pub static MESSAGES: &[(&str, &str)] = &[").unwrap();
    for (k, v) in &en {
        writeln!(out, "  ({k:?}, {v:?}),").unwrap();
    }
    writeln!(out, "];").unwrap();

    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let dest = out_dir.join("signatures_data.rs");
    fs::write(&dest, out).unwrap_or_else(|e| fail(format!("{}: {e}", dest.display())));
    let dest = out_dir.join("lowercase.rs");
    fs::write(&dest, lowercase_runs()).unwrap_or_else(|e| fail(format!("{}: {e}", dest.display())));
}

/// `LOWER_RUNS` for src/normalize.rs: every non-ASCII char whose lower case (by this
/// toolchain's std, the same Unicode version as the target's) is one char of the same UTF-8
/// length, as runs `(first, last, stride, delta)`: `c` in `first..=last` with
/// `(c - first) % stride == 0` lowers to `c + delta`. Why not `char::to_lowercase` at run time:
/// its tables cost 12 KB of the WASM module's 250 KB budget; these runs cost ~2 KB and give
/// the same answer for every char (a test in src/normalize.rs checks all of them).
fn lowercase_runs() -> String {
    let lower = |c: char| -> Option<char> {
        let mut it = c.to_lowercase();
        match (it.next(), it.next()) {
            (Some(l), None) if l != c && l.len_utf8() == c.len_utf8() => Some(l),
            _ => None,
        }
    };
    // (first, last, stride, delta)
    let mut runs: Vec<(u32, u32, u32, i64)> = Vec::new();
    for c in (0x80u32..=0x10ffff).filter_map(char::from_u32) {
        let Some(l) = lower(c) else { continue };
        let (c, delta) = (c as u32, l as i64 - c as i64);
        if let Some(r) = runs.last_mut() {
            let step = c - r.1;
            if r.3 == delta && ((r.0 == r.1 && step <= 2) || step == r.2) {
                r.1 = c;
                r.2 = step;
                continue;
            }
        }
        runs.push((c, c, 1, delta));
    }
    let mut out =
        String::from("// @generated by build.rs from std's char::to_lowercase — do not edit.\n");
    writeln!(out, "static LOWER_RUNS: &[(u32, u32, u32, i32)] = &[").unwrap();
    for (first, last, stride, delta) in runs {
        writeln!(out, "  ({first:#x}, {last:#x}, {stride}, {delta}),").unwrap();
    }
    writeln!(out, "];").unwrap();
    out
}
