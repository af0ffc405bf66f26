//! Runtime options of compiled executables (`./prog [OPTIONS --] [GUEST ARGS]`).

/// Parsed runtime options.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    /// `--invoke NAME`: call this export instead of `_start`.
    pub invoke: Option<String>,
    /// `--argv0 NAME`: the guest's `argv[0]`.
    pub argv0: Option<String>,
    /// `--env KEY=VALUE`, in order.
    pub env: Vec<String>,
    /// `--dir HOST[::GUEST]` as `(host, guest)`.
    pub dirs: Vec<(String, String)>,
    /// `--inherit-env`: start from the host's environment (`--env` overrides).
    pub inherit_env: bool,
    /// `--tcplisten ADDR`: TCP listeners handed to the guest, fds after the preopens.
    pub tcplisten: Vec<String>,
    /// `--trap-unknown-imports`: unknown function imports become stubs that trap.
    pub trap_unknown_imports: bool,
    /// `--script FILE`: harness mode.
    pub script: Option<String>,
    /// `--checkpoint-to PATH`: where checkpoints are written (`%n` becomes
    /// the checkpoint's sequence number).
    pub checkpoint_to: Option<String>,
    /// `--checkpoint-interval SECONDS`: checkpoint and continue periodically.
    pub checkpoint_interval: Option<f64>,
    /// `--restore PATH`: resume from this snapshot instead of starting.
    pub restore: Option<String>,
    /// `--restore-memory MODE`: how a restore brings memory in.
    pub restore_memory: RestoreMemory,
    /// Arguments for the guest (after `argv[0]`).
    pub guest_args: Vec<String>,
}

/// How `--restore` brings linear memory in (`--restore-memory MODE`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RestoreMemory {
    /// `verify` (the default): raw chunks are mapped copy-on-write from the
    /// snapshot file and every chunk's checksum is checked before the program
    /// runs (one read pass over the data, no copy).
    #[default]
    Verify,
    /// `lazy`: raw chunks are mapped and read only when the program touches
    /// them; their checksums are not checked (compressed chunks and
    /// everything else still are).
    Lazy,
    /// `copy`: everything is read into anonymous memory and checked; the
    /// program does not depend on the file afterwards.
    Copy,
}

impl RestoreMemory {
    /// Parses `verify`, `lazy` or `copy`.
    pub fn parse(name: &str) -> Option<RestoreMemory> {
        match name {
            "verify" => Some(RestoreMemory::Verify),
            "lazy" => Some(RestoreMemory::Lazy),
            "copy" => Some(RestoreMemory::Copy),
            _ => None,
        }
    }

    /// The option value.
    pub fn name(self) -> &'static str {
        match self {
            RestoreMemory::Verify => "verify",
            RestoreMemory::Lazy => "lazy",
            RestoreMemory::Copy => "copy",
        }
    }
}

/// Usage text printed on option errors.
pub const USAGE: &str = "usage: PROGRAM [--invoke NAME] [--argv0 NAME] [--env KEY=VALUE]... [--inherit-env] [--dir HOST[::GUEST]]... [--tcplisten ADDR]... [--trap-unknown-imports] [--script FILE] [--checkpoint-to PATH] [--checkpoint-interval SECONDS] [--restore SNAPSHOT] [--restore-memory verify|lazy|copy] -- [ARGS]...";

/// Parses the arguments after the program name.
///
/// Without a `--`, every argument goes to the guest, with one exception:
/// a list that starts with `--restore` is refused, since running the program
/// afresh (with `--restore` as its argument) where a restore was meant would
/// repeat the work, and the side effects, the snapshot was taken after.
///
/// # Errors
/// A message for an unknown option, a missing value, or `--restore` without `--`.
pub fn parse(args: &[String]) -> Result<Options, String> {
    let mut opts = Options::default();
    let Some(split) = args.iter().position(|a| a == "--") else {
        if args
            .first()
            .is_some_and(|a| a == "--restore" || a.starts_with("--restore="))
        {
            return Err(
                "runtime options end with `--`: write `PROGRAM --restore SNAPSHOT --` \
                 (to pass `--restore` to the program itself, `PROGRAM -- --restore ...`)"
                    .into(),
            );
        }
        opts.guest_args = args.to_vec();
        return Ok(opts);
    };
    opts.guest_args = args[split + 1..].to_vec();
    let mut it = args[..split].iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || -> Result<String, String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => it
                    .next()
                    .cloned()
                    .ok_or_else(|| format!("option `{name}` needs a value")),
            }
        };
        let flag = |set: &mut bool| match inline {
            Some(_) => Err(format!("option `{name}` takes no value")),
            None => {
                *set = true;
                Ok(())
            }
        };
        match name {
            "--inherit-env" => flag(&mut opts.inherit_env)?,
            "--trap-unknown-imports" => flag(&mut opts.trap_unknown_imports)?,
            "--tcplisten" => {
                let v = value()?;
                if v.parse::<std::net::SocketAddr>().is_err() {
                    return Err(format!(
                        "invalid `--tcplisten {v}`: expected IP:PORT, e.g. 127.0.0.1:8080"
                    ));
                }
                opts.tcplisten.push(v);
            }
            "--invoke" => opts.invoke = Some(value()?),
            "--argv0" => opts.argv0 = Some(value()?),
            "--script" => opts.script = Some(value()?),
            "--checkpoint-to" => opts.checkpoint_to = Some(value()?),
            "--restore" => opts.restore = Some(value()?),
            "--restore-memory" => {
                let v = value()?;
                opts.restore_memory = RestoreMemory::parse(&v).ok_or_else(|| {
                    format!("invalid `--restore-memory {v}` (verify, lazy or copy)")
                })?;
            }
            "--checkpoint-interval" => {
                let v = value()?;
                match v.parse::<f64>() {
                    Ok(s) if s > 0.0 && s.is_finite() => opts.checkpoint_interval = Some(s),
                    _ => return Err(format!("invalid `--checkpoint-interval {v}` (seconds > 0)")),
                }
            }
            "--env" => {
                let v = value()?;
                if v.contains('=') {
                    opts.env.push(v);
                } else if let Ok(host) = std::env::var(&v) {
                    opts.env.push(format!("{v}={host}"));
                }
            }
            "--dir" => {
                let v = value()?;
                let (host, guest) = match v.split_once("::") {
                    Some((h, g)) => (h.to_string(), g.to_string()),
                    None => (v.clone(), v.clone()),
                };
                if host.is_empty() || guest.is_empty() {
                    return Err(format!("invalid `--dir {v}`"));
                }
                opts.dirs.push((host, guest));
            }
            _ => return Err(format!("unknown runtime option `{arg}`")),
        }
    }
    Ok(opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn without_separator_everything_goes_to_the_guest() {
        let o = parse(&s(&["--invoke", "f", "x"])).unwrap();
        assert_eq!(o.invoke, None);
        assert_eq!(o.guest_args, s(&["--invoke", "f", "x"]));
    }

    #[test]
    fn options_before_first_separator() {
        let o = parse(&s(&[
            "--invoke",
            "add",
            "--env",
            "A=1",
            "--dir",
            "/tmp::/sandbox",
            "--dir=.",
            "--argv0",
            "me",
            "--",
            "1",
            "--",
            "2",
        ]))
        .unwrap();
        assert_eq!(o.invoke.as_deref(), Some("add"));
        assert_eq!(o.env, s(&["A=1"]));
        assert_eq!(
            o.dirs,
            vec![("/tmp".into(), "/sandbox".into()), (".".into(), ".".into())]
        );
        assert_eq!(o.argv0.as_deref(), Some("me"));
        assert_eq!(o.guest_args, s(&["1", "--", "2"]));
        assert!(!o.inherit_env && !o.trap_unknown_imports && o.tcplisten.is_empty());
    }

    #[test]
    fn flags_and_listeners() {
        let o = parse(&s(&[
            "--inherit-env",
            "--trap-unknown-imports",
            "--tcplisten",
            "127.0.0.1:0",
            "--tcplisten=[::1]:80",
            "--",
            "--inherit-env",
        ]))
        .unwrap();
        assert!(o.inherit_env && o.trap_unknown_imports);
        assert_eq!(o.tcplisten, s(&["127.0.0.1:0", "[::1]:80"]));
        assert_eq!(o.guest_args, s(&["--inherit-env"]));
        assert!(parse(&s(&["--inherit-env=1", "--"])).is_err());
        assert!(parse(&s(&["--tcplisten", "localhost", "--"])).is_err());
        assert!(parse(&s(&["--tcplisten", "--"])).is_err());
    }

    #[test]
    fn a_restore_without_separator_is_refused() {
        for args in [&["--restore", "s.tsnap"][..], &["--restore=s.tsnap"]] {
            let e = parse(&s(args)).unwrap_err();
            assert!(e.contains("end with `--`"), "{e}");
        }
        let o = parse(&s(&["--restore", "s.tsnap", "--"])).unwrap();
        assert_eq!(o.restore.as_deref(), Some("s.tsnap"));
        let o = parse(&s(&["--", "--restore", "x"])).unwrap();
        assert_eq!((o.restore, o.guest_args), (None, s(&["--restore", "x"])));
        let o = parse(&s(&["x", "--restore"])).unwrap();
        assert_eq!(o.guest_args, s(&["x", "--restore"]));
    }

    #[test]
    fn errors() {
        assert!(parse(&s(&["--bogus", "--"])).is_err());
        assert!(parse(&s(&["--invoke", "--"])).is_err(), "missing value");
        assert!(parse(&s(&["--script"])).is_ok(), "no separator: guest args");
        assert!(parse(&s(&["--dir", "::x", "--"])).is_err());
        assert!(parse(&s(&["positional", "--"])).is_err());
    }

    #[test]
    fn restore_memory_modes() {
        assert_eq!(
            parse(&s(&["--"])).unwrap().restore_memory,
            RestoreMemory::Verify
        );
        for (name, mode) in [
            ("verify", RestoreMemory::Verify),
            ("lazy", RestoreMemory::Lazy),
            ("copy", RestoreMemory::Copy),
        ] {
            let o = parse(&s(&["--restore-memory", name, "--"])).unwrap();
            assert_eq!((o.restore_memory, o.restore_memory.name()), (mode, name));
        }
        assert!(parse(&s(&["--restore-memory=fast", "--"])).is_err());
    }
}
