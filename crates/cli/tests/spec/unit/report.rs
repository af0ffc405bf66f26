//! Unit tests of `report.rs`.

use crate::runner::report::*;
use crate::runner::run::{FileReport, Outcome, Verdict};

fn outcome(line: usize, verdict: Verdict) -> Outcome {
    Outcome {
        line,
        what: "assert_return invoke \"f\" ()".into(),
        verdict,
    }
}

#[test]
fn block_and_totals() {
    let report = FileReport {
        file: "i32.wast".into(),
        target: "x86_64",
        outcomes: vec![
            outcome(1, Verdict::Pass),
            outcome(2, Verdict::Fail("expected i32:1 (1), got i32:2 (2)".into())),
            outcome(3, Verdict::Skip("cannot express argument".into())),
            outcome(4, Verdict::Fail("x".into())),
        ],
        reproduce: Some("./bundle --script s --".into()),
        note: None,
    };
    let block = file_block(&report, 2);
    assert_eq!(
        block,
        "x86_64 i32.wast: 1/4\n    i32.wast:2: assert_return invoke \"f\" (): expected i32:1 (1), got i32:2 (2)\n    i32.wast:3: SKIPPED assert_return invoke \"f\" (): cannot express argument\n    ... and 1 more\n    reproduce: ./bundle --script s --\n"
    );
    let mut t = Totals::default();
    t.add(&report);
    assert_eq!(
        t,
        Totals {
            passed: 1,
            failed: 3,
            skipped: 1,
            files_failing: 1,
            files: 1
        }
    );
    assert_eq!(final_line(&t), "spec: 1 passed, 3 failed");
    assert_eq!(
        target_line("x86_64", &t),
        "x86_64: 1 passed, 3 failed (1 skipped) of 4; 0/1 files fully passing"
    );
}

#[test]
fn one_line_joins_and_cuts() {
    assert_eq!(one_line("a\n  b\n\nc", 100), "a | b | c");
    assert_eq!(one_line("ééé", 3), "é…");
}
