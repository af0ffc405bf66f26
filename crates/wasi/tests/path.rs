//! `path_*` functions and the sandbox: success and error paths, and every escape
//! (`..`, absolute paths, symlinks out, hard links, a symlink swapped in mid-walk),
//! with both resolvers (openat2 and the portable walk).

mod common;

use common::{Guest, RES, ROOT_FD};
use tern_wasi::types::{filetype, fstflags, oflags, rights};
use tern_wasi::{Errno, Resolver};

fn guests(tag: &str) -> Vec<Guest> {
    [Resolver::Openat2, Resolver::Walk]
        .into_iter()
        .map(|r| Guest::with(tag, |b| b.resolver(r)))
        .collect()
}

#[test]
fn create_open_read_unlink() {
    for mut g in guests("basic") {
        let fd = g.open("a.txt", oflags::CREAT).unwrap();
        assert_eq!(g.write(fd, b"hello").unwrap(), 5);
        g.ctx.fd_close(fd).unwrap();
        assert_eq!(std::fs::read(g.host("a.txt")).unwrap(), b"hello");
        let fd = g.open_ro("a.txt").unwrap();
        assert_eq!(g.read(fd, 100).unwrap(), b"hello");
        // Read-only fd has no FD_WRITE right.
        assert_eq!(g.write(fd, b"x"), Err(Errno::Notcapable));
        assert_eq!(
            g.open("a.txt", oflags::CREAT | oflags::EXCL),
            Err(Errno::Exist)
        );
        assert_eq!(g.open("missing", 0), Err(Errno::Noent));
        assert_eq!(g.open("a.txt/x", 0), Err(Errno::Notdir));
        assert_eq!(g.open("a.txt", oflags::DIRECTORY), Err(Errno::Notdir));
        g.unlink("a.txt").unwrap();
        assert_eq!(g.unlink("a.txt"), Err(Errno::Noent));
        assert!(!g.host("a.txt").exists());
    }
}

#[test]
fn trunc_and_open_errors() {
    for mut g in guests("trunc") {
        std::fs::write(g.host("f"), b"0123456789").unwrap();
        let fd = g.open("f", oflags::TRUNC).unwrap();
        g.ctx.fd_close(fd).unwrap();
        assert_eq!(std::fs::metadata(g.host("f")).unwrap().len(), 0);
        assert_eq!(g.open("f", 0x10), Err(Errno::Inval));
        assert_eq!(
            g.open_at(ROOT_FD, "f", 0, rights::ALL, 0x20, true),
            Err(Errno::Inval)
        );
        assert_eq!(
            g.open_at(99, "f", 0, rights::ALL, 0, true),
            Err(Errno::Badf)
        );
        // Opening relative to a file fd.
        let f = g.open("f", 0).unwrap();
        assert_eq!(
            g.open_at(f, "x", 0, rights::ALL, 0, true),
            Err(Errno::Notdir)
        );
        // Directory opened for writing.
        std::fs::create_dir(g.host("d")).unwrap();
        assert_eq!(g.open("d", 0), Err(Errno::Isdir));
        let d = g.open_ro("d").unwrap();
        assert_eq!(g.read(d, 10), Err(Errno::Isdir));
        // Invalid UTF-8 path.
        let (p, l) = g.put(&[0xff, 0xfe]);
        let mem = &mut g.mem;
        assert_eq!(
            g.ctx
                .path_open(mem, ROOT_FD, 0, p, l, 0, rights::ALL, 0, 0, RES),
            Err(Errno::Ilseq)
        );
        // Out-of-bounds path.
        assert_eq!(
            g.ctx
                .path_open(mem, ROOT_FD, 0, u32::MAX - 2, 10, 0, rights::ALL, 0, 0, RES),
            Err(Errno::Fault)
        );
        assert_eq!(g.open("", 0), Err(Errno::Noent));
    }
}

#[test]
fn directories() {
    for mut g in guests("dirs") {
        g.mkdir("d").unwrap();
        assert_eq!(g.mkdir("d"), Err(Errno::Exist));
        assert_eq!(g.mkdir("nope/d"), Err(Errno::Noent));
        g.mkdir("d/e").unwrap();
        assert_eq!(g.rmdir("d"), Err(Errno::Notempty));
        std::fs::write(g.host("d/e/f"), b"").unwrap();
        assert_eq!(g.rmdir("d/e/f"), Err(Errno::Notdir));
        assert_eq!(g.unlink("d/e"), Err(Errno::Isdir));
        assert_eq!(g.unlink("d/e/f/"), Err(Errno::Notdir));
        assert_eq!(g.unlink("d/e/"), Err(Errno::Isdir));
        g.unlink("d/e/f").unwrap();
        g.rmdir("d/e/").unwrap();
        g.rmdir("d").unwrap();
        assert_eq!(g.rmdir("d"), Err(Errno::Noent));
        assert_eq!(g.mkdir("."), Err(Errno::Exist));
        let fd = g.open("sub", oflags::CREAT).unwrap();
        let _ = fd;
        assert_eq!(g.mkdir("sub/x"), Err(Errno::Notdir));
    }
}

#[test]
fn stat_and_times() {
    for mut g in guests("stat") {
        std::fs::write(g.host("f"), b"12345").unwrap();
        std::os::unix::fs::symlink("f", g.host("l")).unwrap();
        assert_eq!(g.stat("f", true).unwrap(), (filetype::REGULAR_FILE, 5));
        assert_eq!(g.stat("l", true).unwrap(), (filetype::REGULAR_FILE, 5));
        assert_eq!(g.stat("l", false).unwrap().0, filetype::SYMBOLIC_LINK);
        assert_eq!(g.stat(".", true).unwrap().0, filetype::DIRECTORY);
        assert_eq!(g.stat("missing", false), Err(Errno::Noent));
        assert_eq!(g.stat("f/", false), Err(Errno::Notdir));
        let (p, l) = g.put(b"f");
        let mem = &mut g.mem;
        g.ctx
            .path_filestat_set_times(
                mem,
                ROOT_FD,
                0,
                p,
                l,
                1_000_000_000_123,
                2_000_000_000_456,
                (fstflags::ATIM | fstflags::MTIM).into(),
            )
            .unwrap();
        let md = std::fs::metadata(g.host("f")).unwrap();
        use std::os::unix::fs::MetadataExt;
        assert_eq!((md.atime(), md.atime_nsec()), (1000, 123));
        assert_eq!((md.mtime(), md.mtime_nsec()), (2000, 456));
        // Following the link changes the target.
        let (p, l) = g.put(b"l");
        let mem = &mut g.mem;
        g.ctx
            .path_filestat_set_times(
                mem,
                ROOT_FD,
                1,
                p,
                l,
                0,
                5_000_000_000,
                fstflags::MTIM.into(),
            )
            .unwrap();
        assert_eq!(std::fs::metadata(g.host("f")).unwrap().mtime(), 5);
        assert_eq!(
            g.ctx.path_filestat_set_times(
                &mut g.mem,
                ROOT_FD,
                0,
                p,
                l,
                0,
                0,
                (fstflags::ATIM | fstflags::ATIM_NOW).into()
            ),
            Err(Errno::Inval)
        );
    }
}

#[test]
fn rename_link_symlink_readlink() {
    for mut g in guests("rename") {
        std::fs::write(g.host("a"), b"A").unwrap();
        g.rename("a", "b").unwrap();
        assert!(g.host("b").exists() && !g.host("a").exists());
        assert_eq!(g.rename("a", "c"), Err(Errno::Noent));
        g.mkdir("d").unwrap();
        g.mkdir("e").unwrap();
        std::fs::write(g.host("e/x"), b"").unwrap();
        assert_eq!(g.rename("d", "e"), Err(Errno::Notempty));
        assert_eq!(g.rename("b", "e"), Err(Errno::Isdir));
        assert_eq!(g.rename("d", "b"), Err(Errno::Notdir));
        assert_eq!(g.rename("b/", "z"), Err(Errno::Notdir));
        g.link("b", "b2").unwrap();
        assert_eq!(g.link("b", "b2"), Err(Errno::Exist));
        assert_eq!(g.link("d", "d2"), Err(Errno::Perm));
        assert_eq!(g.link("nope", "n2"), Err(Errno::Noent));
        use std::os::unix::fs::MetadataExt;
        assert_eq!(std::fs::metadata(g.host("b")).unwrap().nlink(), 2);
        // SYMLINK_FOLLOW on the source is refused (as Wasmtime).
        let (a, al) = g.put(b"b");
        let (b, bl) = g.put(b"b3");
        let mem = &mut g.mem;
        assert_eq!(
            g.ctx.path_link(mem, ROOT_FD, 1, a, al, ROOT_FD, b, bl),
            Err(Errno::Inval)
        );
        g.symlink("b", "sl").unwrap();
        assert_eq!(g.symlink("b", "sl"), Err(Errno::Exist));
        assert_eq!(g.symlink("b", "sl/"), Err(Errno::Exist));
        assert_eq!(g.symlink("b", "nodir/sl"), Err(Errno::Noent));
        assert_eq!(g.readlink("sl", 64).unwrap(), b"b");
        assert_eq!(g.readlink("b", 64), Err(Errno::Inval));
        assert_eq!(g.readlink("missing", 64), Err(Errno::Noent));
        g.symlink("long/target/name", "sl2").unwrap();
        assert_eq!(g.readlink("sl2", 4).unwrap(), b"long");
        // A final symlink is not followed without SYMLINK_FOLLOW.
        assert_eq!(
            g.open_at(ROOT_FD, "sl", 0, rights::ALL, 0, false),
            Err(Errno::Loop)
        );
        let fd = g
            .open_at(ROOT_FD, "sl", 0, rights::FD_READ, 0, true)
            .unwrap();
        assert_eq!(g.read(fd, 10).unwrap(), b"A");
        // Also with DIRECTORY, on a symlink to a directory (Linux alone says ENOTDIR).
        g.mkdir("sldir").unwrap();
        g.symlink("sldir", "sld").unwrap();
        let dir_rights = rights::FD_READDIR;
        assert_eq!(
            g.open_at(ROOT_FD, "sld", oflags::DIRECTORY, dir_rights, 0, false),
            Err(Errno::Loop)
        );
        assert!(g
            .open_at(ROOT_FD, "sld", oflags::DIRECTORY, dir_rights, 0, true)
            .is_ok());
        assert_eq!(
            g.open_at(ROOT_FD, "b", oflags::DIRECTORY, dir_rights, 0, false),
            Err(Errno::Notdir)
        );
        // Unlinking a symlink removes the link only.
        g.unlink("sl").unwrap();
        assert!(g.host("b").exists());
    }
}

#[test]
fn rights_are_enforced() {
    for mut g in guests("rights") {
        std::fs::write(g.host("f"), b"x").unwrap();
        g.ctx
            .fd_fdstat_set_rights(
                ROOT_FD,
                rights::PATH_OPEN | rights::FD_READDIR,
                rights::DIRECTORY_INHERITING,
            )
            .unwrap();
        assert_eq!(g.mkdir("d"), Err(Errno::Notcapable));
        assert_eq!(g.unlink("f"), Err(Errno::Notcapable));
        assert_eq!(g.open("new", oflags::CREAT), Err(Errno::Notcapable));
        assert!(g.open_ro("f").is_ok());
        assert_eq!(
            g.ctx
                .fd_fdstat_set_rights(ROOT_FD, rights::ALL, rights::ALL),
            Err(Errno::Notcapable)
        );
    }
}

/// Every way out of the preopen is refused with ENOTCAPABLE and leaves the outside intact.
#[test]
fn escapes_are_refused() {
    for mut g in guests("escape") {
        let outside = g.outside();
        let out = outside.to_str().unwrap().to_owned();
        g.mkdir("sub").unwrap();
        std::os::unix::fs::symlink(&out, g.host("abs_link")).unwrap();
        std::os::unix::fs::symlink("../outside", g.host("rel_link")).unwrap();
        std::os::unix::fs::symlink("../../outside/secret", g.host("sub/deep_link")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", g.host("etc_link")).unwrap();
        let cases = [
            "../outside/secret",
            "sub/../../outside/secret",
            "..",
            "../",
            "/etc/passwd",
            &format!("{out}/secret"),
            "abs_link/secret",
            "rel_link/secret",
            "sub/deep_link",
            "etc_link",
        ];
        for c in cases {
            assert_eq!(g.open_ro(c), Err(Errno::Notcapable), "open {c}");
            assert_eq!(g.stat(c, true), Err(Errno::Notcapable), "stat {c}");
        }
        // Parent-relative operations.
        assert_eq!(g.mkdir("../outside/new"), Err(Errno::Notcapable));
        assert_eq!(g.mkdir("rel_link/new"), Err(Errno::Notcapable));
        assert_eq!(g.unlink("../outside/secret"), Err(Errno::Notcapable));
        assert_eq!(g.unlink("rel_link/secret"), Err(Errno::Notcapable));
        assert_eq!(g.unlink("/etc/passwd"), Err(Errno::Notcapable));
        assert_eq!(g.rmdir("../outside"), Err(Errno::Notcapable));
        assert_eq!(
            g.rename("../outside/secret", "stolen"),
            Err(Errno::Notcapable)
        );
        assert_eq!(g.rename("sub", "../outside/moved"), Err(Errno::Notcapable));
        assert_eq!(g.link("../outside/secret", "hard"), Err(Errno::Notcapable));
        assert_eq!(g.link("abs_link/secret", "hard"), Err(Errno::Notcapable));
        assert_eq!(g.symlink("x", "../outside/l"), Err(Errno::Notcapable));
        assert_eq!(g.readlink("../outside/secret", 10), Err(Errno::Notcapable));
        // `..` as the final component never leaks the outside's metadata.
        assert_eq!(g.stat("..", false), Err(Errno::Notcapable));
        assert_eq!(g.stat("sub/../..", false), Err(Errno::Notcapable));
        // Creating through a symlink that points outside.
        std::os::unix::fs::symlink("../outside/created", g.host("dangling_out")).unwrap();
        assert_eq!(
            g.open("dangling_out", oflags::CREAT),
            Err(Errno::Notcapable)
        );
        assert!(!outside.join("created").exists());
        // Not-following open of a symlink out is refused too (ELOOP: it is a symlink).
        assert_eq!(
            g.open_at(ROOT_FD, "abs_link", 0, rights::FD_READ, 0, false),
            Err(Errno::Loop)
        );
        // `..` that stays inside is fine.
        std::fs::write(g.host("inside"), b"in").unwrap();
        let fd = g.open_ro("sub/../inside").unwrap();
        assert_eq!(g.read(fd, 10).unwrap(), b"in");
        let fd = g.open_ro("./sub/./../inside").unwrap();
        assert_eq!(g.read(fd, 10).unwrap(), b"in");
        // A relative symlink that stays inside works.
        std::os::unix::fs::symlink("../inside", g.host("sub/up_in")).unwrap();
        let fd = g.open_ro("sub/up_in").unwrap();
        assert_eq!(g.read(fd, 10).unwrap(), b"in");
        // Escape from a directory fd opened beneath the preopen.
        let d = g
            .open_at(
                ROOT_FD,
                "sub",
                oflags::DIRECTORY,
                rights::ALL & !rights::FD_WRITE,
                0,
                true,
            )
            .unwrap();
        assert_eq!(
            g.open_at(d, "../inside", 0, rights::FD_READ, 0, true),
            Err(Errno::Notcapable)
        );
        assert_eq!(std::fs::read(outside.join("secret")).unwrap(), b"secret");
    }
}

/// A hard link created outside that points at an inside file is irrelevant; but a guest
/// cannot create one pointing outside, and one placed inside by the host to an outside
/// file is just a file (hard links carry no path). Here: a directory swapped for a
/// symlink between operations, and swapped continuously during walks.
#[test]
fn symlink_swapped_during_walk() {
    for mut g in guests("swap") {
        g.mkdir("d").unwrap();
        std::fs::write(g.host("d/secret"), b"inside").unwrap();
        let dir = g.host("d");
        let staging_dir = g.host("d_real");
        let staging_link = g.host("d_link");
        std::fs::create_dir(&staging_dir).unwrap();
        std::fs::write(staging_dir.join("secret"), b"inside").unwrap();
        std::os::unix::fs::symlink(g.outside(), &staging_link).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::rename(&staging_dir, &dir).unwrap();
        std::fs::create_dir(&staging_dir).unwrap();
        std::fs::write(staging_dir.join("secret"), b"inside").unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s2 = stop.clone();
        let (d2, real, link) = (dir.clone(), staging_dir.clone(), staging_link.clone());
        // Swapper: atomically exchange `d` between a real directory and a symlink out.
        let swapper = std::thread::spawn(move || {
            let c = |p: &std::path::Path| std::ffi::CString::new(p.to_str().unwrap()).unwrap();
            let (cd, creal, clink) = (c(&d2), c(&real), c(&link));
            let mut i = 0u64;
            while !s2.load(std::sync::atomic::Ordering::Relaxed) {
                let other = if i.is_multiple_of(2) { &clink } else { &creal };
                // SAFETY: valid NUL-terminated paths; RENAME_EXCHANGE swaps atomically.
                unsafe {
                    libc::syscall(
                        libc::SYS_renameat2,
                        libc::AT_FDCWD,
                        cd.as_ptr(),
                        libc::AT_FDCWD,
                        other.as_ptr(),
                        libc::RENAME_EXCHANGE,
                    );
                }
                i += 1;
            }
        });
        let mut inside = 0;
        for _ in 0..3000 {
            match g.open_ro("d/secret") {
                Ok(fd) => {
                    assert_eq!(
                        g.read(fd, 64).unwrap(),
                        b"inside",
                        "read outside data through a swapped symlink"
                    );
                    g.ctx.fd_close(fd).unwrap();
                    inside += 1;
                }
                Err(e) => assert!(matches!(e, Errno::Notcapable | Errno::Noent), "{e:?}"),
            }
            if let Ok((_, size)) = g.stat("d/secret", true) {
                assert_eq!(size, 6);
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        swapper.join().unwrap();
        assert!(inside > 0);
        assert_eq!(
            std::fs::read(g.outside().join("secret")).unwrap(),
            b"secret"
        );
    }
}

#[test]
fn nested_dir_fd_paths() {
    for mut g in guests("nested") {
        g.mkdir("a").unwrap();
        g.mkdir("a/b").unwrap();
        let a = g
            .open_at(
                ROOT_FD,
                "a",
                oflags::DIRECTORY,
                rights::ALL & !rights::FD_WRITE,
                0,
                true,
            )
            .unwrap();
        let (p, l) = g.put(b"b/f");
        let mem = &mut g.mem;
        g.ctx
            .path_open(
                mem,
                a,
                1,
                p,
                l,
                oflags::CREAT.into(),
                rights::ALL,
                rights::ALL,
                0,
                RES,
            )
            .unwrap();
        assert!(g.host("a/b/f").exists());
        let (p, l) = g.put(b"b/f");
        let mem = &mut g.mem;
        g.ctx.path_unlink_file(mem, a, p, l).unwrap();
        assert!(!g.host("a/b/f").exists());
    }
}

/// A rename between two preopens on different file systems is the real `EXDEV`,
/// not a capability error (skipped when no second file system is at hand).
#[test]
fn cross_device_rename_is_exdev() {
    use std::os::unix::fs::MetadataExt;
    let shm = std::path::Path::new("/dev/shm");
    let tmp = std::env::temp_dir();
    let (Ok(a), Ok(b)) = (std::fs::metadata(shm), std::fs::metadata(&tmp)) else {
        return;
    };
    if a.dev() == b.dev() {
        return;
    }
    let other = shm.join(format!("tern-wasi-xdev-{}", std::process::id()));
    std::fs::create_dir_all(&other).unwrap();
    let mut g = Guest::with("xdev", |b| b.preopen_dir(&other, "/other"));
    std::fs::write(g.host("f"), b"x").unwrap();
    let (p, l) = g.put(b"f");
    let mem = &mut g.mem;
    let r = g.ctx.path_rename(mem, ROOT_FD, p, l, ROOT_FD + 1, p, l);
    let _ = std::fs::remove_dir_all(&other);
    assert_eq!(r, Err(Errno::Xdev));
}
