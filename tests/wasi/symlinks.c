/* symlink, readlink (incl. a short buffer), lstat vs stat, hard links, O_NOFOLLOW. */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    struct stat st;
    char buf[64];
    int fd = open(SB "/target", O_CREAT | O_WRONLY, 0644);
    write(fd, "12345", 5);
    close(fd);
    check("symlink", symlink("target", SB "/link"));
    check("symlink exists", symlink("target", SB "/link"));
    ssize_t n = readlink(SB "/link", buf, sizeof buf);
    printf("readlink=%zd '%.*s'\n", n, (int)(n > 0 ? n : 0), buf);
    n = readlink(SB "/link", buf, 3);
    printf("readlink short=%zd '%.*s'\n", n, (int)(n > 0 ? n : 0), buf);
    check("readlink not a link", readlink(SB "/target", buf, sizeof buf));
    check("readlink missing", readlink(SB "/nolink", buf, sizeof buf));
    check("lstat", lstat(SB "/link", &st));
    printf("lstat islnk=%d\n", S_ISLNK(st.st_mode));
    check("stat", stat(SB "/link", &st));
    printf("stat isreg=%d size=%lld\n", S_ISREG(st.st_mode), (long long)st.st_size);
    check("open nofollow", open(SB "/link", O_RDONLY | O_NOFOLLOW));
    fd = check("open follow", open(SB "/link", O_RDONLY));
    close(fd);
    check("link", link(SB "/target", SB "/hard"));
    stat(SB "/target", &st);
    printf("nlink=%ld\n", (long)st.st_nlink);
    check("link exists", link(SB "/target", SB "/hard"));
    check("link missing", link(SB "/missing", SB "/hard2"));
    check("symlink dangling", symlink("nowhere", SB "/dangling"));
    check("stat dangling", stat(SB "/dangling", &st));
    check("lstat dangling", lstat(SB "/dangling", &st));
    check("unlink link", unlink(SB "/link"));
    check("target survives", stat(SB "/target", &st));
    unlink(SB "/dangling");
    unlink(SB "/hard");
    unlink(SB "/target");
    return 0;
}
