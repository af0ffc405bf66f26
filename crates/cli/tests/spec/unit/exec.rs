//! Unit tests of `exec.rs`.

use crate::runner::exec::*;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tern_compiler::Target;

/// A fake "executable": a shell script that answers `ok` to each line,
/// except that it dies on a line saying `die` and hangs on `hang`.
fn fake_exe(dir: &Path) -> PathBuf {
    let exe = dir.join("fake.sh");
    std::fs::write(
        &exe,
        "#!/bin/sh\n[ \"$1\" = --script ] || exit 2\nwhile IFS= read -r l; do\n  case \"$l\" in\n    die*) exit 3;;\n    hang*) sleep 30;;\n    *) echo \"ok $l\";;\n  esac\ndone < \"$2\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    exe
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tern-spec-exec-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn survives_crashes_and_hangs() {
    let dir = temp_dir("crash");
    let exe = fake_exe(&dir);
    let launcher = Launcher {
        target: Target::host(),
        command_timeout: Duration::from_secs(2),
        file_budget: Duration::from_secs(60),
        sysroot: PathBuf::from("/"),
    };
    let commands: Vec<String> = ["a", "b", "die 1", "c", "hang", "d", "die 2"]
        .map(String::from)
        .to_vec();
    let results = run_script(&launcher, &exe, &commands, &dir).unwrap();
    assert_eq!(results.len(), 7);
    assert_eq!(results[0], Ok("ok a".to_string()));
    assert_eq!(results[1], Ok("ok b".to_string()));
    assert!(
        results[2].as_ref().unwrap_err().contains("status 3"),
        "{:?}",
        results[2]
    );
    assert_eq!(results[3], Ok("ok c".to_string()));
    assert!(
        results[4].as_ref().unwrap_err().contains("no answer"),
        "{:?}",
        results[4]
    );
    assert_eq!(results[5], Ok("ok d".to_string()));
    assert!(results[6].is_err());
    // The restart scripts replay the commands that succeeded.
    let replay = std::fs::read_to_string(dir.join("script.restart1.txt")).unwrap();
    assert_eq!(replay, "a\nb\nc\nhang\nd\ndie 2\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_executable_is_an_error() {
    let dir = temp_dir("missing");
    let launcher = Launcher {
        target: Target::host(),
        command_timeout: Duration::from_secs(2),
        file_budget: Duration::from_secs(60),
        sysroot: PathBuf::from("/"),
    };
    let commands: Vec<String> = ["a", "b"].map(String::from).to_vec();
    let e = run_script(&launcher, &dir.join("nope"), &commands, &dir).unwrap_err();
    assert!(e.contains("cannot start"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn broken_executable_fails_fast() {
    let dir = temp_dir("broken");
    let exe = dir.join("broken.sh");
    std::fs::write(&exe, "#!/bin/sh\necho oops >&2\nexit 1\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let launcher = Launcher {
        target: Target::host(),
        command_timeout: Duration::from_secs(2),
        file_budget: Duration::from_secs(60),
        sysroot: PathBuf::from("/"),
    };
    let commands: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let e = run_script(&launcher, &exe, &commands, &dir).unwrap_err();
    assert!(
        e.contains("empty script") && e.contains("status 1") && e.contains("oops"),
        "{e}"
    );
    assert!(!dir.join("script.txt").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_progress_stops_restarts() {
    let dir = temp_dir("silent");
    let exe = dir.join("silent.sh");
    // Starts fine on an empty script, dies on any command.
    std::fs::write(&exe, "#!/bin/sh\n[ -s \"$2\" ] && exit 7\nexit 0\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let launcher = Launcher {
        target: Target::host(),
        command_timeout: Duration::from_secs(2),
        file_budget: Duration::from_secs(60),
        sysroot: PathBuf::from("/"),
    };
    let commands: Vec<String> = (0..100).map(|i| format!("c{i}")).collect();
    let results = run_script(&launcher, &exe, &commands, &dir).unwrap();
    assert!(results[0].as_ref().unwrap_err().contains("status 7"));
    assert!(results[1].as_ref().unwrap_err().contains("status 7"));
    assert!(
        results[2].as_ref().unwrap_err().contains("nothing new"),
        "{:?}",
        results[2]
    );
    assert!(!dir.join("script.restart2.txt").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
