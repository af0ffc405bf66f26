//! `tern snapshot inspect SNAPSHOT`: what a checkpoint holds.

use anyhow::{Context, Result};
use clap::Subcommand;
use std::fmt::Write as _;
use std::path::PathBuf;
use tern_snapshot::{Snapshot, Value};

/// Snapshot subcommands.
#[derive(Subcommand)]
pub enum SnapshotCommand {
    /// Print a snapshot: module identity, call stack (function names, Wasm
    /// positions, locals, operand stacks), globals, memory, open files.
    Inspect {
        /// The snapshot file.
        snapshot: PathBuf,
    },
}

impl SnapshotCommand {
    /// Runs the command.
    pub fn execute(self) -> Result<()> {
        match self {
            SnapshotCommand::Inspect { snapshot } => {
                let file = tern_snapshot::file::open(&snapshot)
                    .with_context(|| format!("cannot read snapshot {}", snapshot.display()))?;
                // Every chunk's checksum and encoding: a corrupt file is reported, not printed.
                file.verify_data()
                    .with_context(|| format!("snapshot {} is corrupted", snapshot.display()))?;
                let s = file.snapshot;
                // A closed pipe (`| head`) ends the output quietly, never a panic.
                let _ = std::io::Write::write_all(&mut std::io::stdout(), describe(&s).as_bytes());
                Ok(())
            }
        }
    }
}

fn value(v: &Value) -> String {
    match v {
        Value::I32(x) => format!("i32 {}", *x as i32),
        Value::I64(x) => format!("i64 {}", *x as i64),
        Value::F32(x) => format!("f32 {}", float(f32::from_bits(*x), u64::from(*x), 8)),
        Value::F64(x) => format!("f64 {}", float(f64::from_bits(*x), *x, 16)),
        Value::V128(x) => format!("v128 0x{x:032x}"),
        Value::FuncRef(None) => "funcref null".into(),
        Value::FuncRef(Some(i)) => format!("funcref func[{i}]"),
        Value::ExternRef(None) => "externref null".into(),
        Value::ExternRef(Some(h)) => format!("externref {h}"),
        Value::ExnRef(None) => "exnref null".into(),
        Value::ExnRef(Some(e)) => format!("exnref exception[{e}]"),
    }
}

/// A float as Rust's shortest round-trip form, in exponent form when it
/// would need many zeros (a denormal is 300 digits otherwise); a NaN with
/// its bits (`digits` hex digits), since the payload is part of the state.
fn float<F>(x: F, bits: u64, digits: usize) -> String
where
    F: Copy + Into<f64> + std::fmt::Display + std::fmt::LowerExp,
{
    let wide: f64 = x.into();
    if wide.is_nan() {
        format!("nan (bits 0x{bits:0digits$x})")
    } else if wide == 0.0 || wide.is_infinite() || (1e-5..1e16).contains(&wide.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// The human-readable description `inspect` prints.
pub fn describe(s: &Snapshot) -> String {
    let mut out = String::new();
    let id = &s.identity;
    let hash: String = id.module_hash.iter().map(|b| format!("{b:02x}")).collect();
    let _ = writeln!(
        out,
        "module: {} (sha256 {hash})",
        id.name.as_deref().unwrap_or("<unnamed>")
    );
    let _ = writeln!(
        out,
        "points: scheme {}, fingerprint {:016x}; written on {}",
        id.scheme, id.points_fingerprint, s.writer_isa
    );
    let _ = writeln!(
        out,
        "entry: {}{}",
        s.entry.export,
        if s.entry.print_results {
            " (results printed)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "call stack ({} frames, innermost first):",
        s.frames.len()
    );
    for (i, f) in s.frames.iter().enumerate().rev() {
        let flag = tern_environ::migration::TAIL_RESUME_FLAG;
        let at = if f.position & flag != 0 {
            format!("@{:#x} (resuming a tail call)", f.position & !flag)
        } else {
            format!("@{:#x}", f.position)
        };
        let _ = writeln!(
            out,
            "  #{i} {} (func {}) at {at}",
            s.func_name(f.func),
            f.func
        );
        for (l, v) in &f.locals {
            let _ = writeln!(out, "      local {l} = {}", value(v));
        }
        for (j, v) in f.stack.iter().enumerate() {
            let _ = writeln!(out, "      stack[{j}] = {}", value(v));
        }
    }
    if !s.exceptions.is_empty() {
        let _ = writeln!(out, "exceptions:");
        for (i, e) in s.exceptions.iter().enumerate() {
            let values: Vec<String> = e.values.iter().map(value).collect();
            let _ = writeln!(
                out,
                "  exception[{i}]: tag {} ({})",
                e.tag,
                values.join(", ")
            );
        }
    }
    let _ = writeln!(out, "globals:");
    for (i, g) in s.globals.iter().enumerate() {
        let _ = writeln!(out, "  global {i} = {}", value(g));
    }
    for (i, t) in s.tables.iter().enumerate() {
        let set = t
            .elements
            .iter()
            .filter(|e| {
                !matches!(
                    e,
                    Value::FuncRef(None) | Value::ExternRef(None) | Value::ExnRef(None)
                )
            })
            .count();
        let _ = writeln!(
            out,
            "table {i}: {} elements, {set} non-null",
            t.elements.len()
        );
    }
    for (i, m) in s.memories.iter().enumerate() {
        let _ = writeln!(
            out,
            "memory {i}: {} pages ({} bytes), {} bytes non-zero in {} chunks ({} raw), {} bytes stored",
            m.pages,
            m.pages * tern_snapshot::memory::WASM_PAGE,
            m.nonzero_bytes(),
            m.chunks.len(),
            m.raw_chunks(),
            m.stored_bytes()
        );
    }
    if !s.dropped_data.is_empty() || !s.dropped_elements.is_empty() {
        let _ = writeln!(
            out,
            "dropped segments: data {:?}, elements {:?}",
            s.dropped_data, s.dropped_elements
        );
    }
    match &s.wasi {
        None => {
            let _ = writeln!(out, "wasi: none");
        }
        Some(w) => {
            let _ = writeln!(out, "wasi: args {:?}", w.args);
            for p in &w.preopens {
                let _ = writeln!(
                    out,
                    "  preopen {} -> {}",
                    p.guest_path,
                    p.host_path.display()
                );
            }
            for fd in &w.fds {
                let path = match fd.preopen.and_then(|p| w.preopens.get(p as usize)) {
                    Some(p) => format!("{}/{}", p.guest_path, fd.guest_path),
                    None => String::from("-"),
                };
                let kind = match fd.kind {
                    tern_snapshot::FdKind::Socket if fd.is_listener() => {
                        "Socket (listening)".into()
                    }
                    tern_snapshot::FdKind::Socket => "Socket (connection)".into(),
                    kind => format!("{kind:?}"),
                };
                let _ = writeln!(
                    out,
                    "  fd {} {kind} {path} offset {}{}{}",
                    fd.fd,
                    fd.offset,
                    if fd.read { " read" } else { "" },
                    if fd.write { " write" } else { "" }
                );
            }
            let _ = writeln!(out, "  monotonic clock at {} ns", w.clocks.monotonic_ns);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::value;
    use tern_snapshot::Value;

    #[test]
    fn floats_print_short_and_nans_keep_their_bits() {
        let f64_of = |x: f64| value(&Value::F64(x.to_bits()));
        assert_eq!(f64_of(1.5), "f64 1.5");
        assert_eq!(f64_of(-0.0), "f64 -0");
        assert_eq!(f64_of(f64::INFINITY), "f64 inf");
        // A denormal: shortest form in exponent notation, and it round-trips.
        let tiny = f64::from_bits(0x000f_a3b2_0000_0001);
        let shown = f64_of(tiny);
        assert!(shown.contains("e-308"), "{shown}");
        let parsed: f64 = shown["f64 ".len()..].parse().unwrap();
        assert_eq!(parsed.to_bits(), tiny.to_bits());
        assert_eq!(f64_of(1e300), "f64 1e300");
        assert_eq!(
            value(&Value::F64(0x7ff8_0000_0000_0001)),
            "f64 nan (bits 0x7ff8000000000001)"
        );
        assert_eq!(value(&Value::F32(0.1f32.to_bits())), "f32 0.1");
        assert_eq!(value(&Value::F32(0xffc0_0000)), "f32 nan (bits 0xffc00000)");
    }
}
