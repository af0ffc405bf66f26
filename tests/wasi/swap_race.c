/* Sandbox race: while the test swaps SB/swap between a directory inside the
 * sandbox and a symlink to the outside (renameat2 RENAME_EXCHANGE in a loop),
 * the guest keeps opening, stat-ing and listing through it. It must never see
 * the outside file's contents ("TOPSECRET"). Prints only counts that do not
 * depend on the timing: the number of leaks. Whether swap/planted gets
 * created also depends on the timing, so the test checks only that it never
 * appears outside and then removes it. */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    int leaks = 0;
    for (int i = 0; i < 3000; i++) {
        char buf[32] = {0};
        int fd = open(SB "/swap/secret", O_RDONLY);
        if (fd >= 0) {
            ssize_t n = read(fd, buf, sizeof buf - 1);
            if (n > 0 && strstr(buf, "TOPSECRET")) leaks++;
            close(fd);
        }
        fd = open(SB "/swap/sub/../secret", O_RDONLY);
        if (fd >= 0) {
            ssize_t n = read(fd, buf, sizeof buf - 1);
            if (n > 0 && strstr(buf, "TOPSECRET")) leaks++;
            close(fd);
        }
        struct stat st;
        if (stat(SB "/swap/secret", &st) == 0 && st.st_size == 9 && S_ISREG(st.st_mode)) {
            /* the inside file is "inside!\n" (8 bytes); 9 bytes is the outside one */
            leaks++;
        }
        fd = open(SB "/swap/planted", O_CREAT | O_WRONLY | O_EXCL, 0644);
        if (fd >= 0) close(fd);
    }
    printf("leaks: %d\n", leaks);
    return 0;
}
