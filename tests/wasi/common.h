/* Shared helpers for the WASI comparison programs: every result is printed as
 * "label: ok" or "label: ERRNAME" so runs under tern and Wasmtime can be diffed. */
#ifndef TERN_WASI_COMMON_H
#define TERN_WASI_COMMON_H
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *errname(int e) {
    switch (e) {
    case 0: return "ok";
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case ENOTDIR: return "ENOTDIR";
    case EEXIST: return "EEXIST";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EISDIR: return "EISDIR";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ELOOP: return "ELOOP";
    case EINVAL: return "EINVAL";
    case EXDEV: return "EXDEV";
    case ESPIPE: return "ESPIPE";
    case EAGAIN: return "EAGAIN";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ERANGE: return "ERANGE";
    case ENOTSUP: return "ENOTSUP";
    default: return "OTHER";
    }
}

/* Prints "label: ok" when ret >= 0, else the errno name; returns ret. */
static long check(const char *label, long ret) {
    printf("%s: %s\n", label, ret < 0 ? errname(errno) : "ok");
    return ret;
}

/* The preopened test directory (run with --dir HOST::/sandbox). */
#define SB "/sandbox"
#endif
