//! Fuzzes `diagnose` over arbitrary observations.
//!
//! Two input shapes, picked by the first byte, so one corpus covers both doors into the
//! engine:
//! - `{…`: a JSON `Observation`, as the extension and `classify --json` callers hand it over
//!   (the seed corpus is real error pages in this shape, so mutations start from pages that
//!   already reach deep into the signature matcher);
//! - anything else: a structured observation carved from the bytes (status, headers from a
//!   list of the names the engine reads, net error), with the rest as the body, decoded
//!   lossily like a browser would (invalid UTF-8 becomes U+FFFD).
#![no_main]

use gateway_doctor::{diagnose, Header, Observation};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

const NAMES: &[&str] = &[
    "server",
    "via",
    "cf-ray",
    "cf-error-type",
    "cf-cache-status",
    "x-cache",
    "x-amz-cf-id",
    "x-amz-cf-pop",
    "x-served-by",
    "x-vercel-id",
    "x-vercel-error",
    "retry-after",
    "content-type",
    "x-squid-error",
    "x-powered-by",
    "x-request-id",
    "x-github-request-id",
    "x-fastly-request-id",
    "x-nf-request-id",
    "x-azure-ref",
    "x-cdn",
    "x-akamai-request-id",
    "set-cookie",
];
const NET_ERRORS: &[&str] = &[
    "net::ERR_NAME_NOT_RESOLVED",
    "net::ERR_CONNECTION_REFUSED",
    "net::ERR_CONNECTION_RESET",
    "net::ERR_CONNECTION_TIMED_OUT",
    "net::ERR_CERT_AUTHORITY_INVALID",
    "net::ERR_INTERNET_DISCONNECTED",
    "net::ERR_ABORTED",
    "NS_ERROR_UNKNOWN_HOST",
    "NS_ERROR_CONNECTION_REFUSED",
    "NS_ERROR_NET_TIMEOUT",
    "NS_BINDING_ABORTED",
    "NS_ERROR_OFFLINE",
];

fn carve(data: &[u8]) -> Result<Observation> {
    let mut u = Unstructured::new(data);
    let mut obs = Observation::default();
    let flags: u8 = u.arbitrary()?;
    if flags & 1 != 0 {
        // Mostly plausible statuses, sometimes any u16.
        obs.status = Some(if flags & 2 != 0 {
            u.arbitrary()?
        } else {
            u.int_in_range(100..=599)?
        });
    }
    if flags & 4 != 0 {
        obs.net_error = Some(if flags & 8 != 0 {
            u.choose(NET_ERRORS)?.to_string()
        } else {
            u.arbitrary()?
        });
    }
    obs.body_truncated = flags & 16 != 0;
    let n_headers = u.int_in_range(0..=6u8)?;
    for _ in 0..n_headers {
        let name = if u.ratio(7u8, 8)? {
            u.choose(NAMES)?.to_string()
        } else {
            u.arbitrary()?
        };
        let value: String = u.arbitrary()?;
        obs.headers.push(Header::new(name, value));
    }
    if flags & 32 == 0 {
        obs.body = Some(String::from_utf8_lossy(u.take_rest()).into_owned());
    }
    Ok(obs)
}

fuzz_target!(|data: &[u8]| {
    let obs = if data.first() == Some(&b'{') {
        match serde_json::from_slice::<Observation>(data) {
            Ok(o) => o,
            Err(_) => return,
        }
    } else {
        match carve(data) {
            Ok(o) => o,
            Err(_) => return,
        }
    };
    let d = diagnose(&obs);
    common::check(&d);
});
