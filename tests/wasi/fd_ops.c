/* The fd_* functions not covered by fs_basic.c, mostly as raw WASI calls:
 * scatter/gather I/O, fd_tell/fd_seek whences, fd_advise, fd_allocate,
 * fd_datasync, fd_sync, fd_fdstat_get/set_flags/set_rights,
 * fd_filestat_get/set_size/set_times, fd_pread/fd_pwrite past the end,
 * fd_prestat_get/dir_name, fd_renumber, fd_readdir and fd_close, with their
 * error paths (EBADF, EISDIR, ENOTDIR, ESPIPE-free files, ENAMETOOLONG). */
#include "common.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static __wasi_fd_t open_at(const char *path, __wasi_oflags_t oflags, __wasi_rights_t rights,
                           __wasi_fdflags_t fdflags, __wasi_errno_t *err) {
    __wasi_fd_t fd = (__wasi_fd_t)-1;
    *err = __wasi_path_open(SB_FD, 0, path, oflags, rights, rights, fdflags, &fd);
    return fd;
}

static void show_size(const char *label, __wasi_fd_t fd) {
    __wasi_filestat_t st;
    __wasi_errno_t e = __wasi_fd_filestat_get(fd, &st);
    if (e) wcheck(label, e);
    else printf("%s: size=%llu filetype=%u nlink=%llu\n", label, (unsigned long long)st.size,
                st.filetype, (unsigned long long)st.nlink);
}

static void prestats(void) {
    for (__wasi_fd_t fd = 3; fd < 10; fd++) {
        __wasi_prestat_t ps;
        __wasi_errno_t e = __wasi_fd_prestat_get(fd, &ps);
        if (e) {
            printf("prestat fd %u: %s\n", fd, errname(e));
            break;
        }
        char name[64] = {0};
        size_t len = ps.u.dir.pr_name_len;
        printf("prestat fd %u: tag=%u name_len=%zu\n", fd, ps.tag, len);
        wcheck("  dir_name", __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, len < 64 ? len : 63));
        printf("  name=%s\n", name);
        if (len > 1) wcheck("  dir_name short", __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, 1));
    }
    __wasi_prestat_t ps;
    wcheck("prestat stdout", __wasi_fd_prestat_get(1, &ps));
}

/* fd_write of several iovecs until all is written (a host may write fewer
 * bytes than asked: Wasmtime writes one iovec per call). */
static __wasi_errno_t write_all(__wasi_fd_t fd, __wasi_ciovec_t *iov, size_t cnt, size_t *total) {
    *total = 0;
    while (cnt > 0) {
        __wasi_size_t n = 0;
        __wasi_errno_t e = __wasi_fd_write(fd, iov, cnt, &n);
        if (e) return e;
        *total += n;
        while (cnt > 0 && n >= iov->buf_len) {
            n -= iov->buf_len;
            iov++;
            cnt--;
        }
        if (cnt > 0) {
            iov->buf += n;
            iov->buf_len -= n;
        }
    }
    return 0;
}

/* fd_read into several iovecs until they are full or at end of file. */
static __wasi_errno_t read_all(__wasi_fd_t fd, __wasi_iovec_t *iov, size_t cnt, size_t *total) {
    *total = 0;
    while (cnt > 0) {
        __wasi_size_t n = 0;
        __wasi_errno_t e = __wasi_fd_read(fd, iov, cnt, &n);
        if (e) return e;
        if (n == 0) break;
        *total += n;
        while (cnt > 0 && n >= iov->buf_len) {
            n -= iov->buf_len;
            iov++;
            cnt--;
        }
        if (cnt > 0) {
            iov->buf += n;
            iov->buf_len -= n;
        }
    }
    return 0;
}

static void scatter_gather(__wasi_fd_t fd) {
    __wasi_ciovec_t out[3] = {{(const uint8_t *)"alpha ", 6}, {(const uint8_t *)"", 0},
                              {(const uint8_t *)"beta gamma", 10}};
    size_t total = 0;
    __wasi_size_t n = 0;
    wcheck("fd_write 3 iovecs", write_all(fd, out, 3, &total));
    printf("  written=%zu\n", total);
    __wasi_filesize_t pos = 0;
    wcheck("fd_tell", __wasi_fd_tell(fd, &pos));
    printf("  tell=%llu\n", (unsigned long long)pos);
    wcheck("fd_seek cur -10", __wasi_fd_seek(fd, -10, __WASI_WHENCE_CUR, &pos));
    printf("  pos=%llu\n", (unsigned long long)pos);
    wcheck("fd_seek end -5", __wasi_fd_seek(fd, -5, __WASI_WHENCE_END, &pos));
    printf("  pos=%llu\n", (unsigned long long)pos);
    wcheck("fd_seek set 2", __wasi_fd_seek(fd, 2, __WASI_WHENCE_SET, &pos));
    wcheck("fd_seek before start", __wasi_fd_seek(fd, -3, __WASI_WHENCE_SET, &pos));
    char a[4] = {0}, b[6] = {0};
    __wasi_iovec_t in[2] = {{(uint8_t *)a, 3}, {(uint8_t *)b, 5}};
    wcheck("fd_read 2 iovecs", read_all(fd, in, 2, &total));
    printf("  read=%zu '%s' '%s'\n", total, a, b);
    /* pwrite past the end leaves a hole of zeros; the offset does not move. */
    __wasi_ciovec_t far = {(const uint8_t *)"END", 3};
    wcheck("fd_pwrite at 40", __wasi_fd_pwrite(fd, &far, 1, 40, &n));
    wcheck("fd_tell after pwrite", __wasi_fd_tell(fd, &pos));
    printf("  tell=%llu\n", (unsigned long long)pos);
    char hole[8];
    __wasi_iovec_t hv = {(uint8_t *)hole, 8};
    wcheck("fd_pread hole", __wasi_fd_pread(fd, &hv, 1, 16, &n));
    int zeros = 0;
    for (unsigned i = 0; i < n; i++) zeros += hole[i] == 0;
    printf("  pread=%lu zeros=%d\n", n, zeros);
    wcheck("fd_pread past end", __wasi_fd_pread(fd, &hv, 1, 1000, &n));
    printf("  pread=%lu\n", n);
    show_size("filestat", fd);
}

static void flags_and_rights(__wasi_fd_t fd) {
    __wasi_fdstat_t st;
    wcheck("fd_fdstat_get", __wasi_fd_fdstat_get(fd, &st));
    printf("  filetype=%u flags=%u read=%d write=%d seek=%d tell=%d\n", st.fs_filetype,
           st.fs_flags, !!(st.fs_rights_base & __WASI_RIGHTS_FD_READ),
           !!(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE),
           !!(st.fs_rights_base & __WASI_RIGHTS_FD_SEEK),
           !!(st.fs_rights_base & __WASI_RIGHTS_FD_TELL));
    wcheck("fd_fdstat_set_flags append", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND));
    __wasi_filesize_t pos;
    __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos);
    __wasi_ciovec_t tail = {(const uint8_t *)"+tail", 5};
    __wasi_size_t n;
    wcheck("fd_write appended", __wasi_fd_write(fd, &tail, 1, &n));
    wcheck("fd_tell", __wasi_fd_tell(fd, &pos));
    printf("  tell=%llu\n", (unsigned long long)pos);
    __wasi_fd_fdstat_get(fd, &st);
    printf("  flags=%u\n", st.fs_flags);
    wcheck("fd_fdstat_set_flags none", __wasi_fd_fdstat_set_flags(fd, 0));
    __wasi_fd_fdstat_get(fd, &st);
    printf("  flags=%u\n", st.fs_flags);
    /* libc view of the same: fcntl */
    int fl = fcntl(fd, F_GETFL);
    printf("fcntl getfl: rdwr=%d append=%d\n", (fl & O_ACCMODE) == O_RDWR, !!(fl & O_APPEND));
    check("fcntl setfl nonblock", fcntl(fd, F_SETFL, O_NONBLOCK));
    wcheck("fd_fdstat_set_flags bad fd", __wasi_fd_fdstat_set_flags(77, 0));
    wcheck("fd_fdstat_get bad fd", __wasi_fd_fdstat_get(77, &st));
}

static void drop_rights(void) {
    __wasi_errno_t e;
    __wasi_fd_t fd = open_at("rights.txt", __WASI_OFLAGS_CREAT,
                             __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE |
                                 __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL |
                                 __WASI_RIGHTS_FD_FILESTAT_GET,
                             0, &e);
    wcheck("open for rights", e);
    wcheck("fd_fdstat_set_rights read-only",
           __wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK, 0));
    __wasi_fdstat_t st;
    __wasi_fd_fdstat_get(fd, &st);
    printf("  write right=%d\n", !!(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE));
    __wasi_ciovec_t v = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    wcheck("fd_write without right", __wasi_fd_write(fd, &v, 1, &n));
    wcheck("fd_fdstat_set_rights grow",
           __wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0));
    __wasi_fd_close(fd);
    __wasi_path_unlink_file(SB_FD, "rights.txt");
}

static void sizes_and_times(__wasi_fd_t fd) {
    wcheck("fd_filestat_set_size 100", __wasi_fd_filestat_set_size(fd, 100));
    show_size("  grown", fd);
    wcheck("fd_filestat_set_size 7", __wasi_fd_filestat_set_size(fd, 7));
    show_size("  shrunk", fd);
    __wasi_timestamp_t atim = 1000000000ull * 1000000000ull + 123456789ull;
    __wasi_timestamp_t mtim = 1500000000ull * 1000000000ull + 987654321ull;
    wcheck("fd_filestat_set_times",
           __wasi_fd_filestat_set_times(fd, atim, mtim,
                                        __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    __wasi_filestat_t st;
    __wasi_fd_filestat_get(fd, &st);
    printf("  atim=%llu mtim=%llu\n", (unsigned long long)st.atim, (unsigned long long)st.mtim);
    wcheck("fd_filestat_set_times mtim now",
           __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    __wasi_fd_filestat_get(fd, &st);
    printf("  atim kept=%d mtim recent=%d\n", st.atim == atim,
           st.mtim > 1600000000ull * 1000000000ull);
    struct timespec ts[2] = {{5, 6}, {7, 8}};
    check("futimens", futimens(fd, ts));
    struct stat s;
    fstat(fd, &s);
    printf("  fstat atime=%lld.%09ld mtime=%lld.%09ld\n", (long long)s.st_atim.tv_sec,
           s.st_atim.tv_nsec, (long long)s.st_mtim.tv_sec, s.st_mtim.tv_nsec);
    wcheck("fd_filestat_set_times atim+atim_now",
           __wasi_fd_filestat_set_times(fd, 1, 0,
                                        __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
}

static void advise_allocate_sync(__wasi_fd_t fd) {
    wcheck("fd_advise normal", __wasi_fd_advise(fd, 0, 10, __WASI_ADVICE_NORMAL));
    wcheck("fd_advise sequential", __wasi_fd_advise(fd, 0, 0, __WASI_ADVICE_SEQUENTIAL));
    wcheck("fd_advise random", __wasi_fd_advise(fd, 4, 4, __WASI_ADVICE_RANDOM));
    wcheck("fd_advise willneed", __wasi_fd_advise(fd, 0, 7, __WASI_ADVICE_WILLNEED));
    wcheck("fd_advise dontneed", __wasi_fd_advise(fd, 0, 7, __WASI_ADVICE_DONTNEED));
    wcheck("fd_advise noreuse", __wasi_fd_advise(fd, 0, 7, __WASI_ADVICE_NOREUSE));
    wcheck("fd_advise bad fd", __wasi_fd_advise(77, 0, 7, __WASI_ADVICE_NORMAL));
    wcheck("fd_datasync", __wasi_fd_datasync(fd));
    wcheck("fd_sync", __wasi_fd_sync(fd));
    check("fsync", fsync(fd));
    check("fdatasync", fdatasync(fd));
    wcheck("fd_sync bad fd", __wasi_fd_sync(77));
    wcheck("fd_datasync bad fd", __wasi_fd_datasync(77));
    /* fd_allocate: on a scratch file that is removed again (see docs/wasi.md). */
    __wasi_errno_t e;
    __wasi_fd_t s = open_at("alloc.bin", __WASI_OFLAGS_CREAT,
                            __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE |
                                __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_FILESTAT_GET,
                            0, &e);
    wcheck("fd_allocate 4096", __wasi_fd_allocate(s, 0, 4096));
    show_size("  after allocate", s);
    wcheck("fd_allocate bad fd", __wasi_fd_allocate(77, 0, 1));
    __wasi_fd_close(s);
    __wasi_path_unlink_file(SB_FD, "alloc.bin");
}

static void renumber(void) {
    __wasi_errno_t e;
    __wasi_rights_t rw = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK |
                         __WASI_RIGHTS_FD_TELL;
    __wasi_fd_t a = open_at("ren_a", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, rw, 0, &e);
    __wasi_fd_t b = open_at("ren_b", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, rw, 0, &e);
    __wasi_ciovec_t v = {(const uint8_t *)"from a", 6};
    __wasi_size_t n;
    __wasi_fd_write(a, &v, 1, &n);
    printf("renumber fds differ=%d\n", a != b);
    wcheck("fd_renumber a->b", __wasi_fd_renumber(a, b));
    __wasi_filesize_t pos;
    wcheck("  old fd closed", __wasi_fd_tell(a, &pos));
    wcheck("  new fd tell", __wasi_fd_tell(b, &pos));
    printf("  tell=%llu\n", (unsigned long long)pos);
    wcheck("fd_renumber to closed fd", __wasi_fd_renumber(b, 60));
    wcheck("fd_renumber from closed fd", __wasi_fd_renumber(61, b));
    wcheck("fd_renumber same", __wasi_fd_renumber(b, b));
    wcheck("fd_close", __wasi_fd_close(b));
    wcheck("fd_close again", __wasi_fd_close(b));
    __wasi_path_unlink_file(SB_FD, "ren_a");
    __wasi_path_unlink_file(SB_FD, "ren_b");
}

static void directories(void) {
    __wasi_errno_t e;
    __wasi_path_create_directory(SB_FD, "dir");
    __wasi_fd_t d = open_at("dir", __WASI_OFLAGS_DIRECTORY,
                            __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_FD_WRITE, 0, &e);
    wcheck("open dir with the write right", e);
    if (e == 0) __wasi_fd_close(d);
    d = open_at("dir", __WASI_OFLAGS_DIRECTORY,
                __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK |
                    __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_FD_FILESTAT_GET,
                0, &e);
    wcheck("open dir", e);
    __wasi_fdstat_t st;
    __wasi_fd_fdstat_get(d, &st);
    printf("  dir filetype=%u\n", st.fs_filetype);
    char buf[16];
    __wasi_iovec_t v = {(uint8_t *)buf, sizeof buf};
    __wasi_size_t n;
    wcheck("fd_read on dir", __wasi_fd_read(d, &v, 1, &n));
    __wasi_filesize_t pos;
    wcheck("fd_seek on dir", __wasi_fd_seek(d, 0, __WASI_WHENCE_CUR, &pos));
    /* fd_readdir with a buffer too small for one entry, then large enough. */
    uint8_t dbuf[256];
    wcheck("fd_readdir", __wasi_fd_readdir(d, dbuf, sizeof dbuf, 0, &n));
    int entries = 0;
    for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= n;) {
        __wasi_dirent_t de;
        memcpy(&de, dbuf + off, sizeof de);
        entries++;
        off += sizeof de + de.d_namlen;
    }
    printf("  entries=%d (. and ..)\n", entries);
    wcheck("fd_readdir tiny buffer", __wasi_fd_readdir(d, dbuf, 10, 0, &n));
    printf("  bufused=%lu\n", n);
    wcheck("fd_readdir past end", __wasi_fd_readdir(d, dbuf, sizeof dbuf, 1000, &n));
    printf("  bufused=%lu\n", n);
    __wasi_fd_close(d);
    __wasi_fd_t f = open_at("file", __WASI_OFLAGS_CREAT,
                            __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR, 0, &e);
    wcheck("fd_readdir on file", __wasi_fd_readdir(f, dbuf, sizeof dbuf, 0, &n));
    __wasi_fd_close(f);
    wcheck("fd_readdir bad fd", __wasi_fd_readdir(77, dbuf, sizeof dbuf, 0, &n));
    __wasi_path_unlink_file(SB_FD, "file");
    __wasi_path_remove_directory(SB_FD, "dir");
}

int main(void) {
    prestats();
    __wasi_errno_t e;
    __wasi_fd_t fd = open_at("data.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC,
                             __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE |
                                 __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL |
                                 __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS |
                                 __WASI_RIGHTS_FD_FILESTAT_GET |
                                 __WASI_RIGHTS_FD_FILESTAT_SET_SIZE |
                                 __WASI_RIGHTS_FD_FILESTAT_SET_TIMES | __WASI_RIGHTS_FD_ADVISE |
                                 __WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_SYNC,
                             0, &e);
    wcheck("path_open data.txt", e);
    scatter_gather(fd);
    flags_and_rights(fd);
    sizes_and_times(fd);
    advise_allocate_sync(fd);
    wcheck("fd_close data.txt", __wasi_fd_close(fd));
    drop_rights();
    renumber();
    directories();
    /* stdio: fd_write to stdout, fdstat of stdout. */
    fflush(stdout);
    __wasi_ciovec_t line = {(const uint8_t *)"stdout\n", 7};
    __wasi_size_t n;
    wcheck("fd_write stdout", __wasi_fd_write(1, &line, 1, &n));
    __wasi_fdstat_t st;
    wcheck("fd_fdstat_get stdout", __wasi_fd_fdstat_get(1, &st));
    printf("  stdout filetype=%u\n", st.fs_filetype);
    return 0;
}
