//! Human-readable output: one block per file and target, and the summary.

use crate::runner::run::{FileReport, Verdict};
use std::fmt::Write as _;

/// The block printed when a file finishes: `TARGET FILE: passed/total`, then
/// up to `max_failures` failures (`file:line: what: why`).
pub fn file_block(report: &FileReport, max_failures: usize) -> String {
    let mut out = format!(
        "{} {}: {}/{}\n",
        report.target,
        report.file,
        report.passed(),
        report.passed() + report.failed()
    );
    let failures: Vec<_> = report
        .outcomes
        .iter()
        .filter(|o| o.verdict != Verdict::Pass)
        .collect();
    if let Some(note) = &report.note {
        let _ = writeln!(out, "    note: {}", one_line(note, 2000));
    }
    for o in failures.iter().take(max_failures) {
        let (tag, why) = match &o.verdict {
            Verdict::Skip(why) => ("SKIPPED ", why.as_str()),
            Verdict::Fail(why) => ("", why.as_str()),
            Verdict::Pass => unreachable!("filtered out"),
        };
        let _ = writeln!(
            out,
            "    {}:{}: {tag}{}: {}",
            report.file,
            o.line,
            o.what,
            one_line(why, 400)
        );
    }
    if failures.len() > max_failures {
        let _ = writeln!(out, "    ... and {} more", failures.len() - max_failures);
    }
    if !failures.is_empty() {
        if let Some(hint) = &report.reproduce {
            let _ = writeln!(out, "    reproduce: {hint}");
        }
    }
    out
}

/// `text` on one line (line breaks become ` | `), cut after `max` bytes.
pub fn one_line(text: &str, max: usize) -> String {
    let joined: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let joined = joined.join(" | ");
    if joined.len() <= max {
        return joined;
    }
    let mut end = max;
    while !joined.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &joined[..end])
}

/// Totals over many reports.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Passing assertions.
    pub passed: usize,
    /// Failing assertions (skips included).
    pub failed: usize,
    /// Of which skipped.
    pub skipped: usize,
    /// Files with at least one failure.
    pub files_failing: usize,
    /// Files run.
    pub files: usize,
}

impl Totals {
    /// Adds one report.
    pub fn add(&mut self, report: &FileReport) {
        self.passed += report.passed();
        self.failed += report.failed();
        self.skipped += report
            .outcomes
            .iter()
            .filter(|o| matches!(o.verdict, Verdict::Skip(_)))
            .count();
        self.files += 1;
        if report.failed() > 0 {
            self.files_failing += 1;
        }
    }
}

/// The per-target summary line.
pub fn target_line(target: &str, t: &Totals) -> String {
    format!(
        "{target}: {} passed, {} failed ({} skipped) of {}; {}/{} files fully passing",
        t.passed,
        t.failed,
        t.skipped,
        t.passed + t.failed,
        t.files - t.files_failing,
        t.files
    )
}

/// The final line: `spec: N passed, M failed`.
pub fn final_line(t: &Totals) -> String {
    format!("spec: {} passed, {} failed", t.passed, t.failed)
}
