/* Files and directories: create, write, read, seek, stat, truncate, rename,
 * unlink, mkdir, rmdir, and their common error paths. */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    char buf[64];
    int fd = check("open creat", open(SB "/a.txt", O_CREAT | O_RDWR | O_TRUNC, 0644));
    check("write", write(fd, "hello world", 11));
    printf("tell=%ld\n", (long)lseek(fd, 0, SEEK_CUR));
    printf("seek set=%ld\n", (long)lseek(fd, 6, SEEK_SET));
    ssize_t n = read(fd, buf, sizeof buf);
    printf("read=%zd '%.*s'\n", n, (int)n, buf);
    printf("seek end=%ld\n", (long)lseek(fd, -5, SEEK_END));
    check("seek negative", lseek(fd, -100, SEEK_CUR));
    check("pwrite", pwrite(fd, "XY", 2, 0));
    n = pread(fd, buf, 4, 0);
    printf("pread=%zd '%.*s' tell=%ld\n", n, (int)n, buf, (long)lseek(fd, 0, SEEK_CUR));
    struct stat st;
    check("fstat", fstat(fd, &st));
    printf("size=%lld isreg=%d\n", (long long)st.st_size, S_ISREG(st.st_mode));
    check("ftruncate", ftruncate(fd, 3));
    fstat(fd, &st);
    printf("size after truncate=%lld\n", (long long)st.st_size);
    check("close", close(fd));
    check("close again", close(fd));
    check("open excl existing", open(SB "/a.txt", O_CREAT | O_EXCL | O_WRONLY, 0644));
    check("open missing", open(SB "/missing", O_RDONLY));
    check("open file as dir", open(SB "/a.txt/x", O_RDONLY));
    check("open O_DIRECTORY on file", open(SB "/a.txt", O_RDONLY | O_DIRECTORY));
    check("mkdir", mkdir(SB "/d", 0755));
    check("mkdir exists", mkdir(SB "/d", 0755));
    check("mkdir no parent", mkdir(SB "/nope/d", 0755));
    check("open dir for write", open(SB "/d", O_WRONLY));
    check("mkdir nested", mkdir(SB "/d/e", 0755));
    check("rmdir not empty", rmdir(SB "/d"));
    check("rename file", rename(SB "/a.txt", SB "/d/b.txt"));
    check("rename missing", rename(SB "/a.txt", SB "/c.txt"));
    check("stat renamed", stat(SB "/d/b.txt", &st));
    check("rmdir file", rmdir(SB "/d/b.txt"));
    check("unlink dir", unlink(SB "/d/e"));
    check("unlink", unlink(SB "/d/b.txt"));
    check("unlink again", unlink(SB "/d/b.txt"));
    check("rmdir e", rmdir(SB "/d/e"));
    check("rmdir d", rmdir(SB "/d"));
    check("stat gone", stat(SB "/d", &st));
    fd = check("reopen read-only", open(SB "/x", O_CREAT | O_RDONLY, 0644));
    close(fd);
    check("read from bad fd", read(99, buf, 1));
    /* Append mode. */
    fd = open(SB "/log", O_CREAT | O_WRONLY | O_APPEND, 0644);
    write(fd, "one;", 4);
    lseek(fd, 0, SEEK_SET);
    write(fd, "two", 3);
    close(fd);
    fd = open(SB "/log", O_RDONLY);
    n = read(fd, buf, sizeof buf);
    printf("append result '%.*s'\n", (int)n, buf);
    close(fd);
    unlink(SB "/log");
    unlink(SB "/x");
    return 0;
}
