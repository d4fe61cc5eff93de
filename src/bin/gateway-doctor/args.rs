//! A tiny argument splitter shared by the subcommands (no clap: the CLI has a handful of
//! flags and a fast build matters more).

use gateway_doctor::Error;

/// Flags and positionals of one subcommand, parsed against the flags it accepts.
#[derive(Debug, Default)]
pub struct Args {
    pub positional: Vec<String>,
    /// `(flag, value)` in order; switches have an empty value.
    pub flags: Vec<(String, String)>,
}

impl Args {
    /// `with_value` lists flags that take a value (`--status 502` or `--status=502`);
    /// `switches` lists flags without one. Anything else starting with `--` is an error.
    pub fn parse(argv: &[String], with_value: &[&str], switches: &[&str]) -> Result<Args, Error> {
        let mut out = Args::default();
        let mut it = argv.iter();
        while let Some(a) = it.next() {
            if a == "-" || !a.starts_with('-') {
                out.positional.push(a.clone());
                continue;
            }
            let (name, inline) = match a.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (a.as_str(), None),
            };
            if with_value.contains(&name) {
                let v = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .cloned()
                        .ok_or_else(|| Error::bad_input(format!("{name} needs a value")))?,
                };
                out.flags.push((name.to_string(), v));
            } else if switches.contains(&name) && inline.is_none() {
                out.flags.push((name.to_string(), String::new()));
            } else {
                return Err(Error::bad_input(format!("unknown option '{a}'")));
            }
        }
        Ok(out)
    }

    pub fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|(f, _)| f == flag)
    }

    /// Last value given for `flag`.
    pub fn value(&self, flag: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(f, _)| f == flag)
            .map(|(_, v)| v.as_str())
    }

    /// Every value given for a repeatable flag, in order.
    pub fn values<'a>(&'a self, flag: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.flags
            .iter()
            .filter(move |(f, _)| f == flag)
            .map(|(_, v)| v.as_str())
    }
}
