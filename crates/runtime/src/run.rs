//! Normal mode: instantiate module 0 with WASI, run `_start` or `--invoke`,
//! and turn the outcome into an exit status.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use crate::instance::{self, CallError, Extern, Instance, InstantiationError, Module};
use crate::options::Options;
use crate::trap_stubs;
use crate::traps::{backtrace, Unwind};
use crate::values::Val;
use crate::wasi;

/// Exit status after a trap.
pub const TRAP_EXIT: i32 = 134;

/// Prints a trap report and returns the exit status for `unwind`.
pub fn report(unwind: &Unwind) -> i32 {
    match unwind {
        Unwind::Exit(code) => *code,
        Unwind::Trap { code, frames } => {
            let _ = std::io::stdout().flush();
            eprint!(
                "wasm trap: {}\n{}",
                code.message(),
                backtrace::format(frames)
            );
            TRAP_EXIT
        }
    }
}

fn call_export(instance: &Instance, name: &str, args: &[String], print: bool) -> Result<(), i32> {
    let Some(Extern::Func(f)) = instance.export(name) else {
        eprintln!("tern: no exported function `{name}`");
        return Err(1);
    };
    let ty = instance::func_type(f).ok_or(1)?;
    if ty.params.len() != args.len() {
        eprintln!(
            "tern: `{name}` expects {} arguments, got {}",
            ty.params.len(),
            args.len()
        );
        return Err(1);
    }
    let mut vals = Vec::new();
    for (a, t) in args.iter().zip(&ty.params) {
        match Val::parse_cli(a, *t) {
            Ok(v) => vals.push(v),
            Err(e) => {
                eprintln!("tern: {e}");
                return Err(1);
            }
        }
    }
    match instance::call(f, &vals) {
        Ok(results) => {
            if print {
                let mut out = std::io::stdout().lock();
                for r in results {
                    let _ = writeln!(out, "{}", r.format_cli());
                }
                let _ = out.flush();
            }
            Ok(())
        }
        Err(CallError::Args(m)) => {
            eprintln!("tern: {m}");
            Err(1)
        }
        Err(CallError::Unwind(u)) => Err(report(&u)),
    }
}

/// Runs module 0 of `modules`; returns the exit status.
pub fn run(opts: Options, modules: &[Rc<Module>], program: &str) -> i32 {
    let Some(module) = modules.first() else {
        eprintln!("tern: the bundle holds no module");
        return 1;
    };
    // The compiler records no file name, so the default `argv[0]` is the
    // executable's own file name.
    let argv0 = opts.argv0.clone().unwrap_or_else(|| {
        std::path::Path::new(program)
            .file_name()
            .map_or(program.to_string(), |n| n.to_string_lossy().into_owned())
    });
    let mut args = vec![argv0];
    if opts.invoke.is_none() {
        args.extend(opts.guest_args.iter().cloned());
    }
    let cx = match wasi::from_options(&args, &opts) {
        Ok(cx) => Rc::new(RefCell::new(cx)),
        Err(e) => {
            eprintln!("tern: {e}");
            return 1;
        }
    };
    let mut resolve = |imp: &tern_environ::Import| {
        let found = if imp.module == wasi::MODULE {
            wasi::resolve(&imp.name).map(Extern::Host)
        } else {
            None
        };
        match (found, &imp.ty) {
            (None, tern_environ::EntityType::Function(ti)) if opts.trap_unknown_imports => {
                let ty = module.info.types.get(*ti as usize)?;
                Some(Extern::Host(Rc::new(trap_stubs::stub(
                    &imp.module,
                    &imp.name,
                    ty,
                ))))
            }
            (found, _) => found,
        }
    };
    let instance = match Instance::new(module, &mut resolve, Some(cx)) {
        Ok(i) => i,
        Err(InstantiationError::Link(m)) => {
            eprintln!("tern: link error: {m}");
            return 1;
        }
        Err(InstantiationError::Other(m)) => {
            eprintln!("tern: instantiation failed: {m}");
            return 1;
        }
    };
    if let Err(u) = instance.initialize() {
        return report(&u);
    }
    let result = match &opts.invoke {
        Some(name) => {
            if name != "_initialize"
                && matches!(instance.export("_initialize"), Some(Extern::Func(_)))
            {
                if let Err(code) = call_export(&instance, "_initialize", &[], false) {
                    return code;
                }
            }
            call_export(&instance, name, &opts.guest_args, true)
        }
        None if matches!(instance.export("_start"), Some(Extern::Func(_))) => {
            call_export(&instance, "_start", &[], false)
        }
        None => Ok(()),
    };
    let _ = std::io::stdout().flush();
    // The instance is intentionally leaked: host state it references stays valid
    // until the process exits.
    std::mem::forget(instance);
    match result {
        Ok(()) => 0,
        Err(code) => code,
    }
}
