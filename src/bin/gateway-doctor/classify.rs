//! `gateway-doctor classify` (placeholder until its issue lands).
use crate::CmdResult;

pub fn run(_argv: &[String]) -> CmdResult {
    Err(gateway_doctor::Error::bad_input("'classify' is not implemented yet"))
}
