//! Known, deliberate differences between tern and Wasmtime (each one is
//! explained in `docs/wasi.md`), and the reference turned into what tern
//! must do. Applying a deviation first checks that Wasmtime still behaves as
//! it says, so a stale deviation fails the test instead of hiding a change.

use super::{Case, Outcome};

/// A known, deliberate difference between tern and Wasmtime (see `docs/wasi.md`).
#[derive(Clone, Debug)]
pub enum Deviation {
    /// Every stdout line equal to `wasmtime` is `tern` under tern (at least one must exist).
    Line {
        /// The line Wasmtime prints.
        wasmtime: String,
        /// The line tern prints instead (may be several lines).
        tern: String,
    },
    /// Wasmtime exits with `wasmtime`, tern with `tern`.
    Exit {
        /// Wasmtime's status.
        wasmtime: i32,
        /// tern's status.
        tern: i32,
    },
    /// Wasmtime prints this line (at least once), tern does not.
    Gone {
        /// The line only Wasmtime prints.
        wasmtime: String,
    },
    /// tern prints these lines after everything Wasmtime printed.
    Append {
        /// The extra text (whole lines).
        tern: String,
    },
}

impl Deviation {
    /// [`Deviation::Line`].
    pub fn line(wasmtime: impl Into<String>, tern: impl Into<String>) -> Deviation {
        Deviation::Line {
            wasmtime: wasmtime.into(),
            tern: tern.into(),
        }
    }

    /// [`Deviation::Gone`].
    pub fn gone(wasmtime: impl Into<String>) -> Deviation {
        Deviation::Gone {
            wasmtime: wasmtime.into(),
        }
    }

    /// [`Deviation::Append`].
    pub fn append(tern: impl Into<String>) -> Deviation {
        Deviation::Append { tern: tern.into() }
    }

    /// [`Deviation::Exit`].
    pub fn exit(wasmtime: i32, tern: i32) -> Deviation {
        Deviation::Exit { wasmtime, tern }
    }
}

/// What tern must do, given Wasmtime's reference outcome and the case's deviations.
pub struct Expected {
    /// Standard output.
    pub stdout: String,
    /// Exit status.
    pub code: i32,
}

/// Applies the deviations of `case` to `reference`, failing if one no longer
/// describes Wasmtime.
pub fn expected(case: &Case, reference: &Outcome) -> Expected {
    let mut stdout = reference.run.stdout.clone();
    let mut code = reference.code;
    for d in &case.deviations {
        match d {
            Deviation::Line { wasmtime, tern } => {
                let mut found = false;
                stdout = stdout
                    .split_inclusive('\n')
                    .map(|line| {
                        if line.trim_end_matches('\n') == wasmtime.as_str() {
                            found = true;
                            format!("{tern}\n")
                        } else {
                            line.to_string()
                        }
                    })
                    .collect();
                assert!(
                    found,
                    "{}: stale deviation: Wasmtime no longer prints {wasmtime:?}\n{}",
                    case.label,
                    reference.run.describe()
                );
            }
            Deviation::Exit { wasmtime, tern } => {
                assert_eq!(
                    code,
                    *wasmtime,
                    "{}: stale deviation: Wasmtime's exit status is no longer {wasmtime}\n{}",
                    case.label,
                    reference.run.describe()
                );
                code = *tern;
            }
            Deviation::Gone { wasmtime } => {
                let before = stdout.len();
                stdout = stdout
                    .split_inclusive('\n')
                    .filter(|line| line.trim_end_matches('\n') != wasmtime.as_str())
                    .collect();
                assert!(
                    stdout.len() < before,
                    "{}: stale deviation: Wasmtime no longer prints {wasmtime:?}\n{}",
                    case.label,
                    reference.run.describe()
                );
            }
            Deviation::Append { tern } => stdout.push_str(tern),
        }
    }
    Expected { stdout, code }
}
