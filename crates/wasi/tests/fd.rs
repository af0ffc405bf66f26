//! `fd_*` functions: success and error paths, readdir cookies over >1000 entries,
//! seeks beyond 4 GiB on a sparse file.

mod common;

use common::{Guest, RES, ROOT_FD};
use tern_wasi::types::{advice, fdflags, filetype, fstflags, oflags, rights, whence};
use tern_wasi::Errno;

#[test]
fn read_write_seek_tell() {
    let mut g = Guest::new("rw");
    let fd = g.open("f", oflags::CREAT).unwrap();
    assert_eq!(g.write(fd, b"hello world").unwrap(), 11);
    assert_eq!(g.seek(fd, 0, whence::CUR).unwrap(), 11);
    assert_eq!(g.seek(fd, 6, whence::SET).unwrap(), 6);
    assert_eq!(g.read(fd, 100).unwrap(), b"world");
    assert_eq!(g.read(fd, 100).unwrap(), b"");
    assert_eq!(g.seek(fd, -5, whence::END).unwrap(), 6);
    g.ctx.fd_tell(&mut g.mem, fd, RES).unwrap();
    assert_eq!(g.u64_at(RES), 6);
    assert_eq!(g.seek(fd, -100, whence::CUR), Err(Errno::Inval));
    assert_eq!(g.seek(fd, 0, 7), Err(Errno::Inval));
    assert_eq!(g.seek(99, 0, whence::SET), Err(Errno::Badf));
    assert_eq!(g.read(99, 1), Err(Errno::Badf));
    assert_eq!(g.write(99, b"x"), Err(Errno::Badf));
    // Directories cannot be read, written or seeked.
    assert_eq!(g.read(ROOT_FD, 1), Err(Errno::Isdir));
    assert_eq!(g.seek(ROOT_FD, 0, whence::SET), Err(Errno::Badf));
    assert_eq!(g.write(ROOT_FD, b"x"), Err(Errno::Isdir));
    // Scatter/gather with several iovecs.
    let (a, al) = g.put(b"AB");
    let (b, bl) = g.put(b"CDE");
    let iov = g
        .put(
            &[
                a.to_le_bytes(),
                al.to_le_bytes(),
                b.to_le_bytes(),
                bl.to_le_bytes(),
            ]
            .concat(),
        )
        .0;
    g.seek(fd, 0, whence::SET).unwrap();
    g.ctx.fd_write(&mut g.mem, fd, iov, 2, RES).unwrap();
    assert_eq!(g.u32_at(RES), 5);
    assert_eq!(std::fs::read(g.host("f")).unwrap(), b"ABCDE world");
    // Bad iovec pointer.
    assert_eq!(
        g.ctx.fd_write(&mut g.mem, fd, u32::MAX - 4, 1, RES),
        Err(Errno::Fault)
    );
    let bad = g
        .put(&[(u32::MAX - 1).to_le_bytes(), 10u32.to_le_bytes()].concat())
        .0;
    assert_eq!(
        g.ctx.fd_write(&mut g.mem, fd, bad, 1, RES),
        Err(Errno::Fault)
    );
}

#[test]
fn pread_pwrite_keep_offset() {
    let mut g = Guest::new("pread");
    let fd = g.open("f", oflags::CREAT).unwrap();
    g.write(fd, b"0123456789").unwrap();
    let (p, l) = g.put(b"xy");
    let iov = g.put(&[p.to_le_bytes(), l.to_le_bytes()].concat()).0;
    g.ctx.fd_pwrite(&mut g.mem, fd, iov, 1, 3, RES).unwrap();
    assert_eq!(g.u32_at(RES), 2);
    let buf = g.alloc(4);
    let iov = g.put(&[buf.to_le_bytes(), 4u32.to_le_bytes()].concat()).0;
    g.ctx.fd_pread(&mut g.mem, fd, iov, 1, 2, RES).unwrap();
    assert_eq!(g.bytes(buf, g.u32_at(RES)), b"2xy5");
    assert_eq!(g.seek(fd, 0, whence::CUR).unwrap(), 10);
    assert_eq!(
        g.ctx.fd_pread(&mut g.mem, ROOT_FD, iov, 1, 0, RES),
        Err(Errno::Isdir)
    );
    assert_eq!(
        g.ctx.fd_pread(&mut g.mem, 77, iov, 1, 0, RES),
        Err(Errno::Badf)
    );
    // Without FD_SEEK, pread is not allowed.
    g.ctx
        .fd_fdstat_set_rights(fd, rights::FD_READ | rights::FD_WRITE, 0)
        .unwrap();
    assert_eq!(
        g.ctx.fd_pread(&mut g.mem, fd, iov, 1, 0, RES),
        Err(Errno::Notcapable)
    );
    assert_eq!(g.seek(fd, 1, whence::SET), Err(Errno::Notcapable));
}

#[test]
fn seek_beyond_4gib_on_sparse_file() {
    let mut g = Guest::new("sparse");
    let fd = g.open("sparse", oflags::CREAT).unwrap();
    let off: u64 = 5 * 1024 * 1024 * 1024 + 17;
    assert_eq!(g.seek(fd, off as i64, whence::SET).unwrap(), off);
    assert_eq!(g.write(fd, b"far").unwrap(), 3);
    assert_eq!(g.seek(fd, 0, whence::END).unwrap(), off + 3);
    assert_eq!(g.seek(fd, -3, whence::END).unwrap(), off);
    assert_eq!(g.read(fd, 3).unwrap(), b"far");
    g.ctx.fd_filestat_get(&mut g.mem, fd, RES).unwrap();
    assert_eq!(g.u64_at(RES + 32), off + 3);
    // pread at a > 4 GiB offset.
    let buf = g.alloc(3);
    let iov = g.put(&[buf.to_le_bytes(), 3u32.to_le_bytes()].concat()).0;
    g.ctx.fd_pread(&mut g.mem, fd, iov, 1, off, RES).unwrap();
    assert_eq!(g.bytes(buf, 3), b"far");
    g.ctx
        .fd_filestat_set_size(fd, 8 * 1024 * 1024 * 1024)
        .unwrap();
    assert_eq!(std::fs::metadata(g.host("sparse")).unwrap().len(), 8 << 30);
}

#[test]
fn readdir_with_cookies_over_1000_entries() {
    let mut g = Guest::new("readdir");
    std::fs::create_dir(g.host("many")).unwrap();
    let n = 1500;
    for i in 0..n {
        std::fs::write(g.host(&format!("many/entry_{i:05}")), b"").unwrap();
    }
    std::fs::create_dir(g.host("many/subdir")).unwrap();
    let d = g
        .open_at(
            ROOT_FD,
            "many",
            oflags::DIRECTORY,
            rights::ALL & !rights::FD_WRITE,
            0,
            true,
        )
        .unwrap();
    // Small buffer so many calls (and truncated entries) are needed.
    let buf_len = 300u32;
    let buf = g.alloc(buf_len);
    let mut cookie = 0u64;
    let mut names = Vec::new();
    let mut calls = 0;
    loop {
        g.ctx
            .fd_readdir(&mut g.mem, d, buf, buf_len, cookie, RES)
            .unwrap();
        calls += 1;
        let used = g.u32_at(RES);
        let mut off = 0u32;
        let mut progressed = false;
        while off + 24 <= used {
            let next = g.u64_at(buf + off);
            let namlen = g.u32_at(buf + off + 16);
            let ty = g.mem[(buf + off + 20) as usize];
            if off + 24 + namlen > used {
                break; // truncated: re-read from this entry's cookie
            }
            let name = String::from_utf8(g.bytes(buf + off + 24, namlen)).unwrap();
            if name.starts_with("entry_") {
                assert_eq!(ty, filetype::REGULAR_FILE);
            }
            if name == "subdir" || name == "." || name == ".." {
                assert_eq!(ty, filetype::DIRECTORY);
            }
            names.push(name);
            cookie = next;
            progressed = true;
            off += 24 + namlen;
        }
        if used < buf_len {
            break;
        }
        assert!(progressed);
    }
    assert!(calls > 50);
    names.sort();
    let mut expected: Vec<String> = (0..n).map(|i| format!("entry_{i:05}")).collect();
    expected.extend([".".into(), "..".into(), "subdir".into()]);
    expected.sort();
    assert_eq!(names, expected);
    // A cookie past the end gives nothing.
    g.ctx
        .fd_readdir(&mut g.mem, d, buf, buf_len, 1_000_000, RES)
        .unwrap();
    assert_eq!(g.u32_at(RES), 0);
    // Restarting at cookie 0 sees new entries.
    std::fs::write(g.host("many/zz_new"), b"").unwrap();
    let big = g.alloc(200_000);
    g.ctx
        .fd_readdir(&mut g.mem, d, big, 200_000, 0, RES)
        .unwrap();
    let used = g.u32_at(RES) as usize;
    let hay = &g.mem[big as usize..big as usize + used];
    assert!(hay.windows(6).any(|w| w == b"zz_new"));
    // Errors.
    let f = g.open("file", oflags::CREAT).unwrap();
    assert_eq!(
        g.ctx.fd_readdir(&mut g.mem, f, buf, buf_len, 0, RES),
        Err(Errno::Notdir)
    );
    g.ctx.fd_fdstat_set_rights(d, 0, 0).unwrap();
    assert_eq!(
        g.ctx.fd_readdir(&mut g.mem, d, buf, buf_len, 0, RES),
        Err(Errno::Notcapable)
    );
    assert_eq!(
        g.ctx.fd_readdir(&mut g.mem, 99, buf, buf_len, 0, RES),
        Err(Errno::Badf)
    );
}

#[test]
fn fdstat_and_flags() {
    let mut g = Guest::new("fdstat");
    let fd = g.open("f", oflags::CREAT).unwrap();
    g.ctx.fd_fdstat_get(&mut g.mem, fd, RES).unwrap();
    assert_eq!(g.mem[RES as usize], filetype::REGULAR_FILE);
    assert_eq!(g.u64_at(RES + 8) & rights::FD_READ, rights::FD_READ);
    g.ctx.fd_fdstat_get(&mut g.mem, ROOT_FD, RES).unwrap();
    assert_eq!(g.mem[RES as usize], filetype::DIRECTORY);
    assert_eq!(g.ctx.fd_fdstat_get(&mut g.mem, 50, RES), Err(Errno::Badf));
    // APPEND: writes go to the end whatever the offset.
    g.write(fd, b"abc").unwrap();
    g.ctx
        .fd_fdstat_set_flags(fd, fdflags::APPEND.into())
        .unwrap();
    g.seek(fd, 0, whence::SET).unwrap();
    g.write(fd, b"Z").unwrap();
    assert_eq!(std::fs::read(g.host("f")).unwrap(), b"abcZ");
    g.ctx.fd_fdstat_get(&mut g.mem, fd, RES).unwrap();
    assert_eq!(
        u16::from_le_bytes([g.mem[RES as usize + 2], g.mem[RES as usize + 3]]),
        fdflags::APPEND
    );
    assert_eq!(
        g.ctx.fd_fdstat_set_flags(fd, fdflags::SYNC.into()),
        Err(Errno::Inval)
    );
    assert_eq!(g.ctx.fd_fdstat_set_flags(77, 0), Err(Errno::Badf));
    // Opening with APPEND directly.
    let a = g
        .open_at(ROOT_FD, "f", 0, rights::ALL, fdflags::APPEND, true)
        .unwrap();
    g.write(a, b"!").unwrap();
    assert_eq!(std::fs::read(g.host("f")).unwrap(), b"abcZ!");
    // Rights can be dropped, not regained.
    g.ctx.fd_fdstat_set_rights(fd, rights::FD_READ, 0).unwrap();
    assert_eq!(g.write(fd, b"x"), Err(Errno::Notcapable));
    assert_eq!(
        g.ctx
            .fd_fdstat_set_rights(fd, rights::FD_READ | rights::FD_WRITE, 0),
        Err(Errno::Notcapable)
    );
}

#[test]
fn filestat_size_times_sync_advise_allocate() {
    let mut g = Guest::new("filestat");
    let fd = g.open("f", oflags::CREAT).unwrap();
    g.write(fd, b"12345").unwrap();
    g.ctx.fd_filestat_get(&mut g.mem, fd, RES).unwrap();
    assert_eq!(g.mem[RES as usize + 16], filetype::REGULAR_FILE);
    assert_eq!(g.u64_at(RES + 32), 5);
    assert_eq!(g.u64_at(RES + 24), 1);
    g.ctx.fd_filestat_set_size(fd, 2).unwrap();
    assert_eq!(std::fs::read(g.host("f")).unwrap(), b"12");
    g.ctx
        .fd_filestat_set_times(
            fd,
            7_000_000_000,
            9_000_000_001,
            (fstflags::ATIM | fstflags::MTIM).into(),
        )
        .unwrap();
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::metadata(g.host("f")).unwrap();
    assert_eq!((md.atime(), md.mtime(), md.mtime_nsec()), (7, 9, 1));
    g.ctx
        .fd_filestat_set_times(fd, 0, 0, fstflags::MTIM_NOW.into())
        .unwrap();
    assert!(std::fs::metadata(g.host("f")).unwrap().mtime() > 1_000_000);
    assert_eq!(
        g.ctx
            .fd_filestat_set_times(fd, 0, 0, (fstflags::MTIM | fstflags::MTIM_NOW).into()),
        Err(Errno::Inval)
    );
    g.ctx.fd_sync(fd).unwrap();
    g.ctx.fd_datasync(fd).unwrap();
    g.ctx.fd_sync(ROOT_FD).unwrap();
    g.ctx
        .fd_advise(fd, 0, 100, advice::SEQUENTIAL.into())
        .unwrap();
    assert_eq!(g.ctx.fd_advise(fd, 0, 100, 9), Err(Errno::Inval));
    g.ctx.fd_allocate(fd, 0, 4096).unwrap();
    assert_eq!(std::fs::metadata(g.host("f")).unwrap().len(), 4096);
    assert_eq!(g.ctx.fd_allocate(fd, 0, 0), Err(Errno::Inval));
    assert_eq!(g.ctx.fd_sync(99), Err(Errno::Badf));
    assert_eq!(g.ctx.fd_datasync(99), Err(Errno::Badf));
    assert_eq!(
        g.ctx.fd_filestat_set_size(ROOT_FD, 0),
        Err(Errno::Notcapable)
    );
    // Read-only fd cannot be truncated by the kernel either.
    let ro = g.open_ro("f").unwrap();
    assert_eq!(g.ctx.fd_filestat_set_size(ro, 0), Err(Errno::Inval));
}

#[test]
fn prestat_close_renumber() {
    let mut g = Guest::new("prestat");
    g.ctx.fd_prestat_get(&mut g.mem, ROOT_FD, RES).unwrap();
    assert_eq!(g.mem[RES as usize], 0);
    assert_eq!(g.u32_at(RES + 4), 8);
    let name = g.alloc(16);
    g.ctx
        .fd_prestat_dir_name(&mut g.mem, ROOT_FD, name, 16)
        .unwrap();
    assert_eq!(g.bytes(name, 8), b"/sandbox");
    assert_eq!(
        g.ctx.fd_prestat_dir_name(&mut g.mem, ROOT_FD, name, 3),
        Err(Errno::Nametoolong)
    );
    assert_eq!(g.ctx.fd_prestat_get(&mut g.mem, 0, RES), Err(Errno::Badf));
    assert_eq!(g.ctx.fd_prestat_get(&mut g.mem, 4, RES), Err(Errno::Badf));
    let a = g.open("a", oflags::CREAT).unwrap();
    let b = g.open("b", oflags::CREAT).unwrap();
    assert_eq!((a, b), (4, 5));
    g.write(a, b"to-a").unwrap();
    g.ctx.fd_renumber(a, b).unwrap();
    assert_eq!(g.write(a, b"x"), Err(Errno::Badf));
    g.write(b, b"-more").unwrap();
    assert_eq!(std::fs::read(g.host("a")).unwrap(), b"to-a-more");
    assert_eq!(g.ctx.fd_renumber(b, 40), Err(Errno::Badf));
    assert_eq!(g.ctx.fd_renumber(40, b), Err(Errno::Badf));
    g.ctx.fd_renumber(b, b).unwrap();
    g.ctx.fd_close(b).unwrap();
    assert_eq!(g.ctx.fd_close(b), Err(Errno::Badf));
    // Lowest free number is reused.
    assert_eq!(g.open("c", oflags::CREAT).unwrap(), 4);
    // A preopen can be closed; then it is gone.
    g.ctx.fd_close(ROOT_FD).unwrap();
    assert_eq!(
        g.ctx.fd_prestat_get(&mut g.mem, ROOT_FD, RES),
        Err(Errno::Badf)
    );
    assert_eq!(g.open("a", 0), Err(Errno::Badf));
}

#[test]
fn stdio_defaults_and_pipes() {
    let mut fds = [0i32; 2];
    // SAFETY: valid out array.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    use std::os::fd::FromRawFd;
    // SAFETY: fresh pipe fds.
    let (r, w) = unsafe {
        (
            std::os::fd::OwnedFd::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    };
    let mut g = Guest::with("stdio", |b| b.stdout(w));
    // stdin defaults to /dev/null: EOF.
    assert_eq!(g.read(0, 10).unwrap(), b"");
    assert_eq!(g.write(1, b"out!").unwrap(), 4);
    let mut buf = [0u8; 4];
    use std::io::Read;
    std::fs::File::from(r).read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"out!");
    g.ctx.fd_fdstat_get(&mut g.mem, 1, RES).unwrap();
    // A pipe has seek rights but seeking it is ESPIPE.
    assert_eq!(g.seek(1, 0, whence::CUR), Err(Errno::Spipe));
    assert_eq!(g.write(2, b"discarded").unwrap(), 9);
}

#[test]
fn open_with_every_fdflag() {
    let mut g = Guest::new("fdflags");
    let all = fdflags::APPEND | fdflags::DSYNC | fdflags::NONBLOCK | fdflags::RSYNC | fdflags::SYNC;
    let fd = g
        .open_at(ROOT_FD, "f", oflags::CREAT, rights::ALL, all, true)
        .unwrap();
    g.ctx.fd_fdstat_get(&mut g.mem, fd, RES).unwrap();
    assert_eq!(
        u16::from_le_bytes([g.mem[RES as usize + 2], g.mem[RES as usize + 3]]),
        all
    );
    g.write(fd, b"sync").unwrap();
    assert_eq!(std::fs::read(g.host("f")).unwrap(), b"sync");
    // Changing APPEND keeps the sync flags.
    g.ctx.fd_fdstat_set_flags(fd, 0).unwrap();
    g.ctx.fd_fdstat_get(&mut g.mem, fd, RES).unwrap();
    assert_eq!(
        u16::from_le_bytes([g.mem[RES as usize + 2], g.mem[RES as usize + 3]]),
        fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC
    );
    // The opened file's rights are limited to what a regular file can have.
    g.ctx.fd_fdstat_get(&mut g.mem, fd, RES).unwrap();
    assert_eq!(g.u64_at(RES + 8) & rights::PATH_OPEN, 0);
    assert_eq!(g.u64_at(RES + 8) & rights::FD_SEEK, rights::FD_SEEK);
    // Asking to write a directory is EISDIR (as open(2) and Wasmtime).
    assert_eq!(
        g.open_at(
            ROOT_FD,
            ".",
            oflags::DIRECTORY,
            rights::FD_READDIR | rights::FD_WRITE,
            0,
            true
        ),
        Err(Errno::Isdir)
    );
    // A directory opened beneath the preopen gets directory rights only.
    let d = g
        .open_at(
            ROOT_FD,
            ".",
            oflags::DIRECTORY,
            rights::ALL & !rights::FD_WRITE,
            0,
            true,
        )
        .unwrap();
    g.ctx.fd_fdstat_get(&mut g.mem, d, RES).unwrap();
    assert_eq!(g.u64_at(RES + 8) & rights::FD_SEEK, 0);
    assert_eq!(g.u64_at(RES + 8) & rights::PATH_OPEN, rights::PATH_OPEN);
}
