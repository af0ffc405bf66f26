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
    /// `--script FILE`: harness mode.
    pub script: Option<String>,
    /// `--checkpoint-to PATH`: where checkpoints are written (`%n` becomes
    /// the checkpoint's sequence number).
    pub checkpoint_to: Option<String>,
    /// `--checkpoint-interval SECONDS`: checkpoint and continue periodically.
    pub checkpoint_interval: Option<f64>,
    /// `--restore PATH`: resume from this snapshot instead of starting.
    pub restore: Option<String>,
    /// Arguments for the guest (after `argv[0]`).
    pub guest_args: Vec<String>,
}

/// Usage text printed on option errors.
pub const USAGE: &str = "usage: PROGRAM [--invoke NAME] [--argv0 NAME] [--env KEY=VALUE]... [--dir HOST[::GUEST]]... [--script FILE] [--checkpoint-to PATH] [--checkpoint-interval SECONDS] [--restore SNAPSHOT] -- [ARGS]...";

/// Parses the arguments after the program name.
///
/// # Errors
/// A message for an unknown option or a missing value.
pub fn parse(args: &[String]) -> Result<Options, String> {
    let mut opts = Options::default();
    let Some(split) = args.iter().position(|a| a == "--") else {
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
        match name {
            "--invoke" => opts.invoke = Some(value()?),
            "--argv0" => opts.argv0 = Some(value()?),
            "--script" => opts.script = Some(value()?),
            "--checkpoint-to" => opts.checkpoint_to = Some(value()?),
            "--restore" => opts.restore = Some(value()?),
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
    }

    #[test]
    fn errors() {
        assert!(parse(&s(&["--bogus", "--"])).is_err());
        assert!(parse(&s(&["--invoke", "--"])).is_err(), "missing value");
        assert!(parse(&s(&["--script"])).is_ok(), "no separator: guest args");
        assert!(parse(&s(&["--dir", "::x", "--"])).is_err());
        assert!(parse(&s(&["positional", "--"])).is_err());
    }
}
