//! Spec testsuite runner (`harness = false`); the code is in `spec/`.
//! Usage and environment variables: see `spec/mod.rs`.

#[path = "spec/mod.rs"]
mod runner;

fn main() -> std::process::ExitCode {
    runner::main()
}
