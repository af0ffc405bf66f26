/* The path_* functions as raw WASI calls (what fs_basic.c reaches through
 * libc, plus what libc hides): path_open flags, path_create_directory,
 * path_filestat_get/set_times with and without SYMLINK_FOLLOW,
 * path_link, path_readlink, path_remove_directory, path_rename (over files,
 * empty and non-empty directories), path_symlink and path_unlink_file,
 * including trailing slashes and the ENOENT/EEXIST/ENOTDIR/EISDIR/ENOTEMPTY/
 * EINVAL/EBADF paths. The sandbox is left with a small known tree that the
 * test compares file by file. */
#include "common.h"

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define RW (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK | \
            __WASI_RIGHTS_FD_FILESTAT_GET)

static __wasi_errno_t open_file(const char *label, const char *path, __wasi_lookupflags_t lf,
                                __wasi_oflags_t of, __wasi_rights_t rights) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(SB_FD, lf, path, of, rights, rights, 0, &fd);
    wcheck(label, e);
    if (e == 0) __wasi_fd_close(fd);
    return e;
}

static void put(const char *path, const char *text) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(SB_FD, 0, path, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC,
                                        RW, RW, 0, &fd);
    if (e) {
        printf("put %s: %s\n", path, errname(e));
        return;
    }
    __wasi_ciovec_t v = {(const uint8_t *)text, strlen(text)};
    __wasi_size_t n;
    __wasi_fd_write(fd, &v, 1, &n);
    __wasi_fd_close(fd);
}

static void stat_path(const char *label, __wasi_lookupflags_t lf, const char *path) {
    __wasi_filestat_t st;
    __wasi_errno_t e = __wasi_path_filestat_get(SB_FD, lf, path, &st);
    if (e) wcheck(label, e);
    else printf("%s: filetype=%u size=%llu nlink=%llu\n", label, st.filetype,
                st.filetype == __WASI_FILETYPE_DIRECTORY ? 0ull : (unsigned long long)st.size,
                st.filetype == __WASI_FILETYPE_DIRECTORY ? 0ull : (unsigned long long)st.nlink);
}

static void opens(void) {
    put("f", "file f");
    open_file("open existing", "f", 0, 0, RW);
    open_file("open missing", "missing", 0, 0, RW);
    open_file("open creat excl existing", "f", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RW);
    open_file("open creat excl new", "g", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RW);
    open_file("open directory flag on file", "f", 0, __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR);
    open_file("open through file", "f/x", 0, 0, RW);
    open_file("open trailing slash on file", "f/", 0, 0, RW);
    wcheck("mkdir d", __wasi_path_create_directory(SB_FD, "d"));
    open_file("open dir for write", "d", 0, 0, __WASI_RIGHTS_FD_WRITE);
    open_file("open dir read-only", "d", 0, __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR);
    open_file("open dir with creat", "d", 0, __WASI_OFLAGS_CREAT, RW);
    open_file("open dot", ".", 0, __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR);
    open_file("open empty path", "", 0, 0, RW);
    open_file("open trunc", "g", 0, __WASI_OFLAGS_TRUNC, RW);
    __wasi_fd_t fd;
    wcheck("open bad dirfd", __wasi_path_open(77, 0, "f", 0, RW, RW, 0, &fd));
    /* A non-directory fd as the base of a lookup. */
    __wasi_path_open(SB_FD, 0, "f", 0, RW | __WASI_RIGHTS_PATH_OPEN, RW, 0, &fd);
    __wasi_fd_t inner;
    wcheck("open relative to a file fd", __wasi_path_open(fd, 0, "x", 0, RW, RW, 0, &inner));
    __wasi_fd_close(fd);
}

static void directories(void) {
    wcheck("mkdir exists", __wasi_path_create_directory(SB_FD, "d"));
    wcheck("mkdir over file", __wasi_path_create_directory(SB_FD, "f"));
    wcheck("mkdir no parent", __wasi_path_create_directory(SB_FD, "no/such"));
    wcheck("mkdir through file", __wasi_path_create_directory(SB_FD, "f/sub"));
    wcheck("mkdir nested", __wasi_path_create_directory(SB_FD, "d/e"));
    wcheck("mkdir trailing slash", __wasi_path_create_directory(SB_FD, "d/t/"));
    put("d/e/inner", "inner");
    wcheck("rmdir not empty", __wasi_path_remove_directory(SB_FD, "d/e"));
    wcheck("rmdir file", __wasi_path_remove_directory(SB_FD, "f"));
    wcheck("rmdir missing", __wasi_path_remove_directory(SB_FD, "nothing"));
    wcheck("rmdir trailing slash", __wasi_path_remove_directory(SB_FD, "d/t/"));
    __wasi_path_remove_directory(SB_FD, "d/t"); /* gone on every host afterwards */
    wcheck("rmdir dot", __wasi_path_remove_directory(SB_FD, "d/."));
    wcheck("unlink dir", __wasi_path_unlink_file(SB_FD, "d"));
    wcheck("unlink file with slash", __wasi_path_unlink_file(SB_FD, "f/"));
    wcheck("unlink missing", __wasi_path_unlink_file(SB_FD, "missing"));
    wcheck("unlink bad fd", __wasi_path_unlink_file(77, "f"));
}

static void stats_and_times(void) {
    wcheck("symlink f", __wasi_path_symlink("f", SB_FD, "lf"));
    wcheck("symlink dir", __wasi_path_symlink("d", SB_FD, "ld"));
    wcheck("symlink exists", __wasi_path_symlink("g", SB_FD, "lf"));
    wcheck("symlink over dir", __wasi_path_symlink("g", SB_FD, "d"));
    wcheck("symlink no parent", __wasi_path_symlink("g", SB_FD, "no/link"));
    stat_path("stat f", 0, "f");
    stat_path("stat lf nofollow", 0, "lf");
    stat_path("stat lf follow", FOLLOW, "lf");
    stat_path("stat ld/ nofollow", 0, "ld/");
    stat_path("stat d/", 0, "d/");
    stat_path("stat f/", 0, "f/");
    stat_path("stat missing", 0, "missing");
    stat_path("stat d/e/inner", 0, "d/e/inner");
    stat_path("stat d/e/../../f", 0, "d/e/../../f");
    __wasi_timestamp_t a = 1234567890ull * 1000000000ull + 111ull;
    __wasi_timestamp_t m = 1300000000ull * 1000000000ull + 222ull;
    __wasi_fstflags_t both = __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM;
    wcheck("set_times f", __wasi_path_filestat_set_times(SB_FD, 0, "f", a, m, both));
    wcheck("set_times lf follow", __wasi_path_filestat_set_times(SB_FD, FOLLOW, "lf", a + 1, m + 1, both));
    __wasi_filestat_t st;
    __wasi_path_filestat_get(SB_FD, 0, "f", &st);
    printf("  f atim=%llu mtim=%llu\n", (unsigned long long)st.atim, (unsigned long long)st.mtim);
    wcheck("set_times lf nofollow", __wasi_path_filestat_set_times(SB_FD, 0, "lf", a + 2, m + 2, both));
    __wasi_path_filestat_get(SB_FD, 0, "lf", &st);
    printf("  lf atim=%llu mtim=%llu\n", (unsigned long long)st.atim, (unsigned long long)st.mtim);
    __wasi_path_filestat_get(SB_FD, 0, "f", &st);
    printf("  f still mtim=%llu\n", (unsigned long long)st.mtim);
    wcheck("set_times missing", __wasi_path_filestat_set_times(SB_FD, 0, "missing", a, m, both));
    wcheck("set_times mtim+mtim_now",
           __wasi_path_filestat_set_times(SB_FD, 0, "f", 0, m,
                                          __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW));
    char buf[32];
    __wasi_size_t n;
    wcheck("readlink lf", __wasi_path_readlink(SB_FD, "lf", (uint8_t *)buf, sizeof buf, &n));
    printf("  target=%.*s\n", (int)n, buf);
    wcheck("readlink file", __wasi_path_readlink(SB_FD, "f", (uint8_t *)buf, sizeof buf, &n));
    wcheck("readlink missing", __wasi_path_readlink(SB_FD, "nope", (uint8_t *)buf, sizeof buf, &n));
    open_file("open symlink nofollow", "lf", 0, 0, RW);
    open_file("open symlink follow", "lf", FOLLOW, 0, RW);
    open_file("open dir symlink nofollow", "ld", 0, __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR);
}

static void links_and_renames(void) {
    wcheck("link f", __wasi_path_link(SB_FD, 0, "f", SB_FD, "hard"));
    stat_path("  stat hard", 0, "hard");
    wcheck("link exists", __wasi_path_link(SB_FD, 0, "f", SB_FD, "hard"));
    wcheck("link missing", __wasi_path_link(SB_FD, 0, "missing", SB_FD, "h2"));
    wcheck("link dir", __wasi_path_link(SB_FD, 0, "d", SB_FD, "hd"));
    wcheck("link symlink itself", __wasi_path_link(SB_FD, 0, "lf", SB_FD, "hl"));
    stat_path("  stat hl", 0, "hl");
    wcheck("link bad fd", __wasi_path_link(77, 0, "f", SB_FD, "h3"));
    put("r1", "one");
    put("r2", "two");
    wcheck("rename over file", __wasi_path_rename(SB_FD, "r1", SB_FD, "r2"));
    stat_path("  stat r1", 0, "r1");
    stat_path("  stat r2", 0, "r2");
    wcheck("mkdir e1", __wasi_path_create_directory(SB_FD, "e1"));
    wcheck("mkdir e2", __wasi_path_create_directory(SB_FD, "e2"));
    wcheck("rename dir over empty dir", __wasi_path_rename(SB_FD, "e1", SB_FD, "e2"));
    wcheck("rename dir over non-empty dir", __wasi_path_rename(SB_FD, "e2", SB_FD, "d"));
    wcheck("rename file over dir", __wasi_path_rename(SB_FD, "r2", SB_FD, "e2"));
    wcheck("rename dir over file", __wasi_path_rename(SB_FD, "e2", SB_FD, "r2"));
    wcheck("rename dir into itself", __wasi_path_rename(SB_FD, "d", SB_FD, "d/e/d"));
    wcheck("rename missing", __wasi_path_rename(SB_FD, "gone", SB_FD, "x"));
    wcheck("rename to missing parent", __wasi_path_rename(SB_FD, "r2", SB_FD, "no/x"));
    wcheck("rename file trailing slash", __wasi_path_rename(SB_FD, "r2/", SB_FD, "r3"));
    wcheck("rename dir trailing slash", __wasi_path_rename(SB_FD, "e2/", SB_FD, "e3/"));
    wcheck("rename symlink", __wasi_path_rename(SB_FD, "ld", SB_FD, "ld2"));
    wcheck("rename bad fd", __wasi_path_rename(77, "r2", SB_FD, "r4"));
}

int main(void) {
    opens();
    directories();
    stats_and_times();
    links_and_renames();
    /* Leave: f, g (empty), hard (= f), hl, lf -> f, ld2 -> d, d/e/inner, r2, e3/. */
    __wasi_path_unlink_file(SB_FD, "lf");
    return 0;
}
