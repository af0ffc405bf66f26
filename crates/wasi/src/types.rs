//! Constants and struct layouts of WASI preview1 (`wasi_snapshot_preview1.witx`):
//! rights, flags, enums, and the byte offsets of every struct the guest reads or writes.
//!
//! Only numbers live here; the code that moves bytes is in `memory.rs`.

#![allow(missing_docs, reason = "constant names are the spec's")]

/// `rights` bits.
pub mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    pub const SOCK_ACCEPT: u64 = 1 << 29;
    /// Every right the spec defines.
    pub const ALL: u64 = (1 << 30) - 1;

    /// Rights a regular file can have.
    pub const REGULAR_FILE_BASE: u64 = FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;
    /// Rights a directory can have.
    pub const DIRECTORY_BASE: u64 = FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_ADVISE
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE
        | POLL_FD_READWRITE;
    /// Rights a directory hands to what is opened beneath it.
    pub const DIRECTORY_INHERITING: u64 = DIRECTORY_BASE | REGULAR_FILE_BASE;
    /// Rights of a character device, pipe or terminal (stdio).
    /// No `FD_SEEK`/`FD_TELL`: wasi-libc's `isatty` requires their absence.
    pub const TTY_BASE: u64 =
        FD_READ | FD_FDSTAT_SET_FLAGS | FD_WRITE | FD_FILESTAT_GET | POLL_FD_READWRITE;
    /// Rights of a pipe or other non-terminal stream (seeking reports `ESPIPE`).
    pub const PIPE_BASE: u64 = TTY_BASE | FD_SEEK | FD_TELL;
    /// Rights of a socket handed in by the embedder.
    pub const SOCKET_BASE: u64 = FD_READ
        | FD_FDSTAT_SET_FLAGS
        | FD_WRITE
        | FD_FILESTAT_GET
        | POLL_FD_READWRITE
        | SOCK_SHUTDOWN
        | SOCK_ACCEPT;
}

/// `filetype` values.
pub mod filetype {
    pub const UNKNOWN: u8 = 0;
    pub const BLOCK_DEVICE: u8 = 1;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SOCKET_DGRAM: u8 = 5;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// `fdflags` bits.
pub mod fdflags {
    pub const APPEND: u16 = 1 << 0;
    pub const DSYNC: u16 = 1 << 1;
    pub const NONBLOCK: u16 = 1 << 2;
    pub const RSYNC: u16 = 1 << 3;
    pub const SYNC: u16 = 1 << 4;
    pub const ALL: u16 = 0x1f;
}

/// `oflags` bits.
pub mod oflags {
    pub const CREAT: u16 = 1 << 0;
    pub const DIRECTORY: u16 = 1 << 1;
    pub const EXCL: u16 = 1 << 2;
    pub const TRUNC: u16 = 1 << 3;
    pub const ALL: u16 = 0xf;
}

/// `lookupflags` bits.
pub mod lookupflags {
    pub const SYMLINK_FOLLOW: u32 = 1 << 0;
}

/// `fstflags` bits.
pub mod fstflags {
    pub const ATIM: u16 = 1 << 0;
    pub const ATIM_NOW: u16 = 1 << 1;
    pub const MTIM: u16 = 1 << 2;
    pub const MTIM_NOW: u16 = 1 << 3;
}

/// `whence` values.
pub mod whence {
    pub const SET: u8 = 0;
    pub const CUR: u8 = 1;
    pub const END: u8 = 2;
}

/// `advice` values.
pub mod advice {
    pub const NORMAL: u8 = 0;
    pub const SEQUENTIAL: u8 = 1;
    pub const RANDOM: u8 = 2;
    pub const WILLNEED: u8 = 3;
    pub const DONTNEED: u8 = 4;
    pub const NOREUSE: u8 = 5;
}

/// `clockid` values.
pub mod clockid {
    pub const REALTIME: u32 = 0;
    pub const MONOTONIC: u32 = 1;
    pub const PROCESS_CPUTIME_ID: u32 = 2;
    pub const THREAD_CPUTIME_ID: u32 = 3;
}

/// `eventtype` values.
pub mod eventtype {
    pub const CLOCK: u8 = 0;
    pub const FD_READ: u8 = 1;
    pub const FD_WRITE: u8 = 2;
}

/// `subclockflags` bits.
pub mod subclockflags {
    pub const ABSTIME: u16 = 1 << 0;
}

/// `eventrwflags` bits.
pub mod eventrwflags {
    pub const HANGUP: u16 = 1 << 0;
}

/// `riflags`, `roflags`, `sdflags` bits.
pub mod sockflags {
    pub const RECV_PEEK: u16 = 1 << 0;
    pub const RECV_WAITALL: u16 = 1 << 1;
    pub const RECV_DATA_TRUNCATED: u16 = 1 << 0;
    pub const SHUT_RD: u8 = 1 << 0;
    pub const SHUT_WR: u8 = 1 << 1;
}

/// `preopentype` values.
pub mod preopentype {
    pub const DIR: u8 = 0;
}

/// `signal` values (only the ones the host treats specially are named).
pub mod signal {
    pub const NONE: u8 = 0;
    pub const CHLD: u8 = 16;
    pub const CONT: u8 = 17;
    pub const URG: u8 = 22;
    pub const WINCH: u8 = 27;
    pub const MAX: u8 = 30;

    /// Names of the WASI signals, by number (`0` is `NONE`).
    const NAMES: [&str; 31] = [
        "NONE", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV",
        "USR2", "PIPE", "ALRM", "TERM", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
        "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "POLL", "PWR", "SYS",
    ];

    /// The name of WASI signal `sig` (`SIG` + this), if it is one.
    pub fn name(sig: u8) -> Option<&'static str> {
        NAMES.get(usize::from(sig)).copied()
    }

    /// The Linux number of WASI signal `sig`: the same up to `TERM` (15); WASI has
    /// no `STKFLT`, so later ones are one less than Linux's.
    pub fn linux_number(sig: u8) -> Option<i32> {
        match sig {
            1..=15 => Some(i32::from(sig)),
            16..=MAX => Some(i32::from(sig) + 1),
            _ => None,
        }
    }
}

/// Sizes and field offsets of the structs exchanged through guest memory.
pub mod layout {
    /// `iovec`/`ciovec`: `buf: u32 @0`, `buf_len: u32 @4`.
    pub const IOVEC_SIZE: u32 = 8;
    /// `fdstat`: `fs_filetype: u8 @0`, `fs_flags: u16 @2`, `fs_rights_base: u64 @8`,
    /// `fs_rights_inheriting: u64 @16`.
    pub const FDSTAT_SIZE: u32 = 24;
    /// `filestat`: `dev @0`, `ino @8`, `filetype: u8 @16`, `nlink @24`, `size @32`,
    /// `atim @40`, `mtim @48`, `ctim @56`.
    pub const FILESTAT_SIZE: u32 = 64;
    /// `prestat`: `tag: u8 @0`, `pr_name_len: u32 @4`.
    pub const PRESTAT_SIZE: u32 = 8;
    /// `dirent` header: `d_next @0`, `d_ino @8`, `d_namlen: u32 @16`, `d_type: u8 @20`;
    /// the name follows the 24-byte header.
    pub const DIRENT_SIZE: u32 = 24;
    /// `subscription`: `userdata @0`, `tag: u8 @8`, then the union at 16:
    /// clock: `id: u32 @16`, `timeout: u64 @24`, `precision: u64 @32`, `flags: u16 @40`;
    /// fd_readwrite: `fd: u32 @16`.
    pub const SUBSCRIPTION_SIZE: u32 = 48;
    /// `event`: `userdata @0`, `error: u16 @8`, `type: u8 @10`, `nbytes: u64 @16`,
    /// `flags: u16 @24`.
    pub const EVENT_SIZE: u32 = 32;
}
