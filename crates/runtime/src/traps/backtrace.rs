//! Mapping program counters back to Wasm functions.
//!
//! Every loaded module registers the addresses of its functions and of its
//! array-call trampolines. A program counter belongs to the function with the
//! greatest start address not above it; the walk stops at the first
//! trampoline or unknown address (the host entry).

use std::sync::{Arc, Mutex};

#[derive(Clone, Debug)]
enum CodeKind {
    Func { names: Arc<ModuleNames>, index: u32 },
    Trampoline,
}

/// Display names of one module's functions.
#[derive(Debug)]
pub struct ModuleNames {
    /// The module's name, if known.
    pub module: Option<String>,
    /// Display name of every function (function index space).
    pub funcs: Vec<String>,
}

static CODE_MAP: Mutex<Vec<(usize, CodeKind)>> = Mutex::new(Vec::new());

/// Registers a module's defined functions (`(function index, address)`) and
/// its trampolines.
pub fn register_code(names: Arc<ModuleNames>, funcs: &[(u32, usize)], trampolines: &[usize]) {
    let mut map = CODE_MAP.lock().unwrap_or_else(|e| e.into_inner());
    if funcs
        .first()
        .is_some_and(|(_, addr)| map.iter().any(|(a, _)| a == addr))
    {
        return; // already registered (module instantiated again)
    }
    for &(index, addr) in funcs {
        map.push((
            addr,
            CodeKind::Func {
                names: names.clone(),
                index,
            },
        ));
    }
    for &addr in trampolines {
        if addr != 0 {
            map.push((addr, CodeKind::Trampoline));
        }
    }
    map.sort_by_key(|(a, _)| *a);
}

/// Names of the Wasm functions the frames belong to, innermost first.
pub fn symbolize(frames: &[usize]) -> Vec<String> {
    let map = CODE_MAP.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = Vec::new();
    for &pc in frames {
        let i = map.partition_point(|(a, _)| *a <= pc);
        if i == 0 {
            break;
        }
        match &map[i - 1].1 {
            CodeKind::Func { names, index } => {
                let name = names
                    .funcs
                    .get(*index as usize)
                    .cloned()
                    .unwrap_or_else(|| format!("func[{index}]"));
                match &names.module {
                    Some(m) => out.push(format!("{m}!{name}")),
                    None => out.push(name),
                }
            }
            CodeKind::Trampoline => break,
        }
    }
    out
}

/// The backtrace text printed after a trap message.
pub fn format(frames: &[usize]) -> String {
    let names = symbolize(frames);
    let mut s = String::from("wasm backtrace:\n");
    if names.is_empty() {
        s.push_str("    <no wasm frames>\n");
    }
    for (i, n) in names.iter().enumerate() {
        s.push_str(&format!("    {i:>2}: {n}\n"));
    }
    if names.len() == super::MAX_FRAMES {
        s.push_str("    ... (older frames omitted)\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbolize_stops_at_trampoline() {
        let names = Arc::new(ModuleNames {
            module: None,
            funcs: vec!["imp".into(), "a".into(), "b".into()],
        });
        register_code(names, &[(1, 0x1000_0000), (2, 0x1000_0100)], &[0x1000_0200]);
        let out = symbolize(&[0x1000_0150, 0x1000_0010, 0x1000_0210, 0x1000_0020]);
        assert_eq!(out, vec!["b".to_string(), "a".to_string()]);
    }
}
