//! `gateway-doctor report` (placeholder until its issue lands).
use crate::CmdResult;

pub fn run(_argv: &[String]) -> CmdResult {
    Err(gateway_doctor::Error::bad_input("'report' is not implemented yet"))
}
