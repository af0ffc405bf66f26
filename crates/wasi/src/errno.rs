//! WASI preview1 `errno` values, exactly as `wasi_snapshot_preview1.witx` numbers them,
//! and the one mapping from host (Linux) `errno` values onto them.
//!
//! Nothing in this file touches guest memory or host handles.

/// A WASI preview1 error number. The discriminants are the spec's numbers.
#[allow(missing_docs, reason = "variant names are the spec's, one per errno")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[repr(u16)]
pub enum Errno {
    #[error("success")]
    Success = 0,
    #[error("argument list too long")]
    TooBig = 1,
    #[error("permission denied")]
    Acces = 2,
    #[error("address in use")]
    Addrinuse = 3,
    #[error("address not available")]
    Addrnotavail = 4,
    #[error("address family not supported")]
    Afnosupport = 5,
    #[error("resource unavailable, or operation would block")]
    Again = 6,
    #[error("connection already in progress")]
    Already = 7,
    #[error("bad file descriptor")]
    Badf = 8,
    #[error("bad message")]
    Badmsg = 9,
    #[error("device or resource busy")]
    Busy = 10,
    #[error("operation canceled")]
    Canceled = 11,
    #[error("no child processes")]
    Child = 12,
    #[error("connection aborted")]
    Connaborted = 13,
    #[error("connection refused")]
    Connrefused = 14,
    #[error("connection reset")]
    Connreset = 15,
    #[error("resource deadlock would occur")]
    Deadlk = 16,
    #[error("destination address required")]
    Destaddrreq = 17,
    #[error("mathematics argument out of domain")]
    Dom = 18,
    #[error("reserved (dquot)")]
    Dquot = 19,
    #[error("file exists")]
    Exist = 20,
    #[error("bad address")]
    Fault = 21,
    #[error("file too large")]
    Fbig = 22,
    #[error("host is unreachable")]
    Hostunreach = 23,
    #[error("identifier removed")]
    Idrm = 24,
    #[error("illegal byte sequence")]
    Ilseq = 25,
    #[error("operation in progress")]
    Inprogress = 26,
    #[error("interrupted function")]
    Intr = 27,
    #[error("invalid argument")]
    Inval = 28,
    #[error("i/o error")]
    Io = 29,
    #[error("socket is connected")]
    Isconn = 30,
    #[error("is a directory")]
    Isdir = 31,
    #[error("too many levels of symbolic links")]
    Loop = 32,
    #[error("file descriptor value too large")]
    Mfile = 33,
    #[error("too many links")]
    Mlink = 34,
    #[error("message too large")]
    Msgsize = 35,
    #[error("reserved (multihop)")]
    Multihop = 36,
    #[error("filename too long")]
    Nametoolong = 37,
    #[error("network is down")]
    Netdown = 38,
    #[error("connection aborted by network")]
    Netreset = 39,
    #[error("network unreachable")]
    Netunreach = 40,
    #[error("too many files open in system")]
    Nfile = 41,
    #[error("no buffer space available")]
    Nobufs = 42,
    #[error("no such device")]
    Nodev = 43,
    #[error("no such file or directory")]
    Noent = 44,
    #[error("executable file format error")]
    Noexec = 45,
    #[error("no locks available")]
    Nolck = 46,
    #[error("reserved (nolink)")]
    Nolink = 47,
    #[error("not enough space")]
    Nomem = 48,
    #[error("no message of the desired type")]
    Nomsg = 49,
    #[error("protocol not available")]
    Noprotoopt = 50,
    #[error("no space left on device")]
    Nospc = 51,
    #[error("function not supported")]
    Nosys = 52,
    #[error("the socket is not connected")]
    Notconn = 53,
    #[error("not a directory or a symbolic link to a directory")]
    Notdir = 54,
    #[error("directory not empty")]
    Notempty = 55,
    #[error("state not recoverable")]
    Notrecoverable = 56,
    #[error("not a socket")]
    Notsock = 57,
    #[error("not supported")]
    Notsup = 58,
    #[error("inappropriate i/o control operation")]
    Notty = 59,
    #[error("no such device or address")]
    Nxio = 60,
    #[error("value too large to be stored in data type")]
    Overflow = 61,
    #[error("previous owner died")]
    Ownerdead = 62,
    #[error("operation not permitted")]
    Perm = 63,
    #[error("broken pipe")]
    Pipe = 64,
    #[error("protocol error")]
    Proto = 65,
    #[error("protocol not supported")]
    Protonosupport = 66,
    #[error("protocol wrong type for socket")]
    Prototype = 67,
    #[error("result too large")]
    Range = 68,
    #[error("read-only file system")]
    Rofs = 69,
    #[error("invalid seek")]
    Spipe = 70,
    #[error("no such process")]
    Srch = 71,
    #[error("reserved (stale)")]
    Stale = 72,
    #[error("connection timed out")]
    Timedout = 73,
    #[error("text file busy")]
    Txtbsy = 74,
    #[error("cross-device link")]
    Xdev = 75,
    #[error("capabilities insufficient")]
    Notcapable = 76,
}

impl Errno {
    /// The spec's number, as returned to the guest in an `i32` result.
    pub fn raw(self) -> u16 {
        self as u16
    }

    /// Maps a host (Linux) `errno` value to the WASI one.
    ///
    /// # Note
    /// `EXDEV` is *not* mapped to `Xdev` here because the sandbox reports path escapes
    /// with it; callers that mean a real cross-device error use [`Errno::Xdev`] directly.
    pub fn from_host(e: i32) -> Errno {
        use Errno::*;
        match e {
            0 => Success,
            libc::E2BIG => TooBig,
            libc::EACCES => Acces,
            libc::EADDRINUSE => Addrinuse,
            libc::EADDRNOTAVAIL => Addrnotavail,
            libc::EAFNOSUPPORT => Afnosupport,
            libc::EAGAIN => Again,
            libc::EALREADY => Already,
            libc::EBADF => Badf,
            libc::EBADMSG => Badmsg,
            libc::EBUSY => Busy,
            libc::ECANCELED => Canceled,
            libc::ECHILD => Child,
            libc::ECONNABORTED => Connaborted,
            libc::ECONNREFUSED => Connrefused,
            libc::ECONNRESET => Connreset,
            libc::EDEADLK => Deadlk,
            libc::EDESTADDRREQ => Destaddrreq,
            libc::EDOM => Dom,
            libc::EDQUOT => Dquot,
            libc::EEXIST => Exist,
            libc::EFAULT => Fault,
            libc::EFBIG => Fbig,
            libc::EHOSTUNREACH => Hostunreach,
            libc::EIDRM => Idrm,
            libc::EILSEQ => Ilseq,
            libc::EINPROGRESS => Inprogress,
            libc::EINTR => Intr,
            libc::EINVAL => Inval,
            libc::EIO => Io,
            libc::EISCONN => Isconn,
            libc::EISDIR => Isdir,
            libc::ELOOP => Loop,
            libc::EMFILE => Mfile,
            libc::EMLINK => Mlink,
            libc::EMSGSIZE => Msgsize,
            libc::EMULTIHOP => Multihop,
            libc::ENAMETOOLONG => Nametoolong,
            libc::ENETDOWN => Netdown,
            libc::ENETRESET => Netreset,
            libc::ENETUNREACH => Netunreach,
            libc::ENFILE => Nfile,
            libc::ENOBUFS => Nobufs,
            libc::ENODEV => Nodev,
            libc::ENOENT => Noent,
            libc::ENOEXEC => Noexec,
            libc::ENOLCK => Nolck,
            libc::ENOLINK => Nolink,
            libc::ENOMEM => Nomem,
            libc::ENOMSG => Nomsg,
            libc::ENOPROTOOPT => Noprotoopt,
            libc::ENOSPC => Nospc,
            libc::ENOSYS => Nosys,
            libc::ENOTCONN => Notconn,
            libc::ENOTDIR => Notdir,
            libc::ENOTEMPTY => Notempty,
            libc::ENOTRECOVERABLE => Notrecoverable,
            libc::ENOTSOCK => Notsock,
            libc::EOPNOTSUPP => Notsup,
            libc::ENOTTY => Notty,
            libc::ENXIO => Nxio,
            libc::EOVERFLOW => Overflow,
            libc::EOWNERDEAD => Ownerdead,
            libc::EPERM => Perm,
            libc::EPIPE => Pipe,
            libc::EPROTO => Proto,
            libc::EPROTONOSUPPORT => Protonosupport,
            libc::EPROTOTYPE => Prototype,
            libc::ERANGE => Range,
            libc::EROFS => Rofs,
            libc::ESPIPE => Spipe,
            libc::ESRCH => Srch,
            libc::ESTALE => Stale,
            libc::ETIMEDOUT => Timedout,
            libc::ETXTBSY => Txtbsy,
            libc::EXDEV => Notcapable,
            _ => Io,
        }
    }

    /// The calling thread's last host error, mapped with [`Errno::from_host`].
    pub fn last() -> Errno {
        Errno::from_host(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }
}

impl From<std::io::Error> for Errno {
    fn from(e: std::io::Error) -> Errno {
        Errno::from_host(e.raw_os_error().unwrap_or(libc::EIO))
    }
}

#[cfg(test)]
mod tests {
    use super::Errno;

    #[test]
    fn numbers_match_the_spec() {
        assert_eq!(Errno::Badf.raw(), 8);
        assert_eq!(Errno::Exist.raw(), 20);
        assert_eq!(Errno::Inval.raw(), 28);
        assert_eq!(Errno::Isdir.raw(), 31);
        assert_eq!(Errno::Noent.raw(), 44);
        assert_eq!(Errno::Notdir.raw(), 54);
        assert_eq!(Errno::Notempty.raw(), 55);
        assert_eq!(Errno::Spipe.raw(), 70);
        assert_eq!(Errno::Notcapable.raw(), 76);
    }
}
