//! Harness mode (`--script FILE`): the command protocol of `docs/contracts.md`.
//! One command per line, exactly one line of output per command, flushed.

use std::collections::HashMap;
use std::io::Write;
use std::rc::Rc;

use crate::instance::{self, CallError, Extern, Instance, InstantiationError, Module};
use crate::traps::Unwind;
use crate::values::Val;

/// State of a harness run.
pub struct Script {
    modules: Vec<Rc<Module>>,
    /// Every instance ever created (never freed: others may reference them).
    #[allow(clippy::vec_box, reason = "contexts point back at the instances")]
    store: Vec<Box<Instance>>,
    named: HashMap<String, usize>,
    registered: HashMap<String, HashMap<String, Extern>>,
}

fn decode_name(hex: &str) -> Result<String, String> {
    if hex == "-" {
        return Ok(String::new());
    }
    if !hex.len().is_multiple_of(2) {
        return Err(format!("malformed name `{hex}`"));
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| format!("malformed name `{hex}`"))?;
    String::from_utf8(bytes).map_err(|_| format!("name `{hex}` is not UTF-8"))
}

fn unwind_message(u: &Unwind) -> String {
    match u {
        Unwind::Trap { code, .. } => code.message().to_string(),
        Unwind::Exit(c) => format!("exit with status {c}"),
        Unwind::Checkpoint => "checkpoint".to_string(),
    }
}

impl Script {
    /// A harness over the bundle's modules, with `spectest` registered.
    ///
    /// # Errors
    /// If the `spectest` module cannot be created.
    pub fn new(modules: Vec<Rc<Module>>) -> Result<Script, String> {
        let mut registered = HashMap::new();
        registered.insert("spectest".to_string(), crate::spectest::exports()?);
        Ok(Script {
            modules,
            store: Vec::new(),
            named: HashMap::new(),
            registered,
        })
    }

    fn instance(&self, name: &str) -> Result<&Instance, String> {
        self.named
            .get(name)
            .map(|i| &*self.store[*i])
            .ok_or_else(|| format!("unknown instance `{name}`"))
    }

    /// Executes one command line and returns its output line.
    pub fn command(&mut self, line: &str) -> String {
        let words: Vec<&str> = line.split(' ').collect();
        let result = match words.as_slice() {
            ["instantiate", k, inst] => return self.instantiate(k, inst),
            ["register", name, inst] => self.register(name, inst),
            ["invoke", inst, name, args @ ..] => return self.invoke(inst, name, args),
            ["get", inst, name] => self.get(inst, name),
            _ => Err(format!("unknown command `{line}`")),
        };
        match result {
            Ok(s) => s,
            Err(e) => format!("error {e}"),
        }
    }

    fn instantiate(&mut self, k: &str, inst: &str) -> String {
        let Some(module) = k
            .parse::<usize>()
            .ok()
            .and_then(|k| self.modules.get(k))
            .cloned()
        else {
            return format!("error other unknown module `{k}`");
        };
        let registered = &self.registered;
        let mut resolve = |imp: &tern_environ::Import| {
            registered
                .get(&imp.module)
                .and_then(|m| m.get(&imp.name))
                .cloned()
        };
        let instance = match Instance::new(&module, &mut resolve, None) {
            Ok(i) => i,
            Err(InstantiationError::Link(m)) => return format!("error link {m}"),
            Err(InstantiationError::Other(m)) => return format!("error other {m}"),
        };
        self.store.push(instance);
        let index = self.store.len() - 1;
        match self.store[index].initialize() {
            Ok(()) => {
                self.named.insert(inst.to_string(), index);
                "ok".into()
            }
            Err(u @ Unwind::Trap { .. }) => format!("error trap {}", unwind_message(&u)),
            Err(u) => format!("error other {}", unwind_message(&u)),
        }
    }

    fn register(&mut self, name: &str, inst: &str) -> Result<String, String> {
        let name = decode_name(name)?;
        let instance = self.instance(inst)?;
        let exports = instance
            .module()
            .info
            .exports
            .iter()
            .filter_map(|e| instance.export(&e.name).map(|x| (e.name.clone(), x)))
            .collect();
        self.registered.insert(name, exports);
        Ok("ok".into())
    }

    fn invoke(&mut self, inst: &str, name: &str, args: &[&str]) -> String {
        let run = || -> Result<Vec<Val>, Result<Unwind, String>> {
            let name = decode_name(name).map_err(Err)?;
            let instance = self.instance(inst).map_err(Err)?;
            let Some(Extern::Func(f)) = instance.export(&name) else {
                return Err(Err(format!("no exported function `{name}`")));
            };
            let args = args
                .iter()
                .map(|a| Val::parse_script(a))
                .collect::<Result<Vec<_>, _>>()
                .map_err(Err)?;
            instance::call(f, &args).map_err(|e| match e {
                CallError::Args(m) => Err(m),
                CallError::Unwind(u) => Ok(u),
            })
        };
        match run() {
            Ok(vals) => {
                let mut s = String::from("ok");
                for v in vals {
                    s.push(' ');
                    s.push_str(&v.format_script());
                }
                s
            }
            Err(Ok(u)) => format!("trap {}", unwind_message(&u)),
            Err(Err(m)) => format!("error {m}"),
        }
    }

    fn get(&self, inst: &str, name: &str) -> Result<String, String> {
        let name = decode_name(name)?;
        match self.instance(inst)?.export(&name) {
            Some(Extern::Global(g)) => Ok(format!("ok {}", g.value().format_script())),
            _ => Err(format!("no exported global `{name}`")),
        }
    }
}

/// Runs the script at `path`; returns the exit status.
pub fn run(path: &str, modules: Vec<Rc<Module>>) -> i32 {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("tern: cannot read script `{path}`: {e}");
            return 1;
        }
    };
    let mut script = match Script::new(modules) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tern: {e}");
            return 1;
        }
    };
    let stdout = std::io::stdout();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let out = script.command(line);
        let mut lock = stdout.lock();
        if writeln!(lock, "{out}").and_then(|()| lock.flush()).is_err() {
            return 1;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_hex() {
        assert_eq!(decode_name("-"), Ok(String::new()));
        assert_eq!(decode_name("6164642d6f6e65").as_deref(), Ok("add-one"));
        assert_eq!(decode_name("e282ac").as_deref(), Ok("€"));
        assert!(decode_name("6").is_err());
        assert!(decode_name("ff").is_err());
    }

    #[test]
    fn unknown_commands_and_instances_print_errors() {
        let mut s = Script::new(Vec::new()).unwrap();
        assert!(s.command("bogus").starts_with("error "));
        assert_eq!(
            s.command("instantiate 0 i0"),
            "error other unknown module `0`"
        );
        assert!(s
            .command("invoke i9 6d")
            .starts_with("error unknown instance"));
        assert!(s.command("get i9 6d").starts_with("error "));
    }
}
