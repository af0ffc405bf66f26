//! Compares one output line of a harness script with the expectation of its
//! command.

use crate::runner::messages;
use crate::runner::values::parse_values;
use crate::runner::wast_convert::{Command, Expect};

/// Checks `line`, the output of `command`, against `expect`.
///
/// # Errors
/// A one-line explanation of the mismatch.
pub fn check(command: &Command, expect: &Expect, line: &str) -> Result<(), String> {
    let (head, rest) = line.split_once(' ').unwrap_or((line, ""));
    let got = || format!("got `{}`", shorten(line));
    match command {
        Command::Instantiate { .. } => match expect {
            Expect::Ok | Expect::Values(_) => match head {
                "ok" => Ok(()),
                _ => Err(format!("instantiation failed: {}", got())),
            },
            Expect::Trap(m) | Expect::Exhaustion(m) => match rest.strip_prefix("trap ") {
                Some(actual) if head == "error" && messages::matches(m, actual) => Ok(()),
                Some(_) if head == "error" => {
                    Err(format!("expected instantiation trap \"{m}\", {}", got()))
                }
                _ => Err(format!(
                    "expected instantiation to trap with \"{m}\", {}",
                    got()
                )),
            },
            Expect::Unlinkable(m) => match rest.strip_prefix("link ") {
                Some(actual) if head == "error" && messages::matches(m, actual) => Ok(()),
                Some(_) if head == "error" => {
                    Err(format!("expected link error \"{m}\", {}", got()))
                }
                _ => Err(format!("expected a link error \"{m}\", {}", got())),
            },
        },
        Command::Register { .. } => match head {
            "ok" => Ok(()),
            _ => Err(format!("register failed: {}", got())),
        },
        Command::Invoke { .. } | Command::Get { .. } => match expect {
            Expect::Ok => match head {
                "ok" => parse_values(rest)
                    .map(|_| ())
                    .map_err(|e| format!("bad result line: {e}")),
                _ => Err(format!("expected success, {}", got())),
            },
            Expect::Values(patterns) => {
                if head != "ok" {
                    return Err(format!("expected {expect}, {}", got()));
                }
                let values = parse_values(rest)
                    .map_err(|e| format!("bad result line `{}`: {e}", shorten(line)))?;
                if values.len() != patterns.len() {
                    return Err(format!(
                        "expected {} results {expect}, {}",
                        patterns.len(),
                        got()
                    ));
                }
                for (i, (p, v)) in patterns.iter().zip(&values).enumerate() {
                    if !p.matches(v) {
                        let which = if values.len() > 1 {
                            format!("result {i}: ")
                        } else {
                            String::new()
                        };
                        return Err(format!("{which}expected {p}, got {}", p.render_actual(v)));
                    }
                }
                Ok(())
            }
            Expect::Trap(m) | Expect::Exhaustion(m) => match head {
                "trap" if messages::matches(m, rest) => Ok(()),
                "trap" => Err(format!("expected trap \"{m}\", got trap \"{rest}\"")),
                _ => Err(format!("expected trap \"{m}\", {}", got())),
            },
            Expect::Unlinkable(_) => Err("internal: link expectation on a call".to_string()),
        },
    }
}

/// `s`, cut to a readable length.
pub fn shorten(s: &str) -> String {
    const MAX: usize = 200;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
