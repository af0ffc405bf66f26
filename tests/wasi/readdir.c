/* readdir over 1200 entries (several fd_readdir calls with cookies), sorted,
 * plus seekdir/telldir-free rewinddir. */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(void) {
    char path[64];
    mkdir(SB "/many", 0755);
    for (int i = 0; i < 1200; i++) {
        snprintf(path, sizeof path, SB "/many/entry_%05d", i);
        close(open(path, O_CREAT | O_WRONLY, 0644));
    }
    mkdir(SB "/many/subdir", 0755);
    for (int pass = 0; pass < 2; pass++) {
        DIR *d = opendir(SB "/many");
        if (!d) { check("opendir", -1); return 1; }
        char **names = malloc(2000 * sizeof *names);
        int n = 0, dirs = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_type == DT_DIR) dirs++;
            names[n++] = strdup(e->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof *names, cmp);
        unsigned h = 5381;
        for (int i = 0; i < n; i++)
            for (char *c = names[i]; *c; c++) h = h * 33u + (unsigned char)*c;
        printf("pass %d: entries=%d dirs=%d first=%s last=%s hash=%08x\n", pass, n, dirs, names[0], names[n - 1], h);
        for (int i = 0; i < n; i++) free(names[i]);
        free(names);
    }
    check("opendir file", opendir(SB "/many/entry_00000") ? 0 : -1);
    check("opendir missing", opendir(SB "/nothere") ? 0 : -1);
    for (int i = 0; i < 1200; i++) {
        snprintf(path, sizeof path, SB "/many/entry_%05d", i);
        unlink(path);
    }
    rmdir(SB "/many/subdir");
    check("rmdir emptied", rmdir(SB "/many"));
    return 0;
}
