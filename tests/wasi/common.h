/* Shared helpers for the WASI comparison programs: every result is printed as
 * "label: ok" or "label: ERRNAME" so runs under tern and Wasmtime can be diffed.
 * wasi-libc's errno values are the WASI errno numbers, so one table names both
 * libc errors and the results of raw __wasi_* calls, exactly as the spec
 * numbers them. */
#ifndef TERN_WASI_COMMON_H
#define TERN_WASI_COMMON_H
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

/* Cleanup calls (close, unlink) ignore their results on purpose. */
#pragma clang diagnostic ignored "-Wunused-result"

/* The spec's errno names, indexed by value (0..76). */
static const char *const ERRNAMES[] = {
    "ok", "E2BIG", "EACCES", "EADDRINUSE", "EADDRNOTAVAIL", "EAFNOSUPPORT", "EAGAIN",
    "EALREADY", "EBADF", "EBADMSG", "EBUSY", "ECANCELED", "ECHILD", "ECONNABORTED",
    "ECONNREFUSED", "ECONNRESET", "EDEADLK", "EDESTADDRREQ", "EDOM", "EDQUOT", "EEXIST",
    "EFAULT", "EFBIG", "EHOSTUNREACH", "EIDRM", "EILSEQ", "EINPROGRESS", "EINTR", "EINVAL",
    "EIO", "EISCONN", "EISDIR", "ELOOP", "EMFILE", "EMLINK", "EMSGSIZE", "EMULTIHOP",
    "ENAMETOOLONG", "ENETDOWN", "ENETRESET", "ENETUNREACH", "ENFILE", "ENOBUFS", "ENODEV",
    "ENOENT", "ENOEXEC", "ENOLCK", "ENOLINK", "ENOMEM", "ENOMSG", "ENOPROTOOPT", "ENOSPC",
    "ENOSYS", "ENOTCONN", "ENOTDIR", "ENOTEMPTY", "ENOTRECOVERABLE", "ENOTSOCK", "ENOTSUP",
    "ENOTTY", "ENXIO", "EOVERFLOW", "EOWNERDEAD", "EPERM", "EPIPE", "EPROTO",
    "EPROTONOSUPPORT", "EPROTOTYPE", "ERANGE", "EROFS", "ESPIPE", "ESRCH", "ESTALE",
    "ETIMEDOUT", "ETXTBSY", "EXDEV", "ENOTCAPABLE",
};

__attribute__((unused)) static const char *errname(int e) {
    static char other[32];
    if (e >= 0 && e < (int)(sizeof ERRNAMES / sizeof ERRNAMES[0])) return ERRNAMES[e];
    snprintf(other, sizeof other, "errno %d", e);
    return other;
}

/* Prints "label: ok" when ret >= 0, else the errno name; returns ret. */
__attribute__((unused)) static long check(const char *label, long ret) {
    printf("%s: %s\n", label, ret < 0 ? errname(errno) : "ok");
    return ret;
}

/* Prints "label: ok" or the name of a raw WASI call's errno; returns it. */
__attribute__((unused)) static __wasi_errno_t wcheck(const char *label, __wasi_errno_t e) {
    printf("%s: %s\n", label, errname(e));
    return e;
}

/* The preopened test directory (run with --dir HOST::/sandbox). */
#define SB "/sandbox"
/* Its file descriptor: the first preopen. */
#define SB_FD 3
#endif
