//! Unit tests of the spec runner's parts (`cargo test -p tern --test spec-unit`):
//! the runner's modules compiled with the standard test harness, plus the
//! tests in `unit/`. (They are kept out of the modules themselves because
//! cargo compiles the `harness = false` target with `cfg(test)` too.)
#![allow(
    dead_code,
    reason = "the runner's entry point is used by the `spec` target only"
)]

#[path = "mod.rs"]
mod runner;

mod unit {
    mod check;
    mod exec;
    mod messages;
    mod ratchet;
    mod report;
    mod run;
    mod values;
    mod wast_convert;
}
