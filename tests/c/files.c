/* Files in a preopened directory (argv[1]): create, write, read back, seek,
 * append, stat, rename, mkdir, list, unlink, rmdir. Paths are printed
 * relative to argv[1], which differs between runs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *root;

/* ROOT/rel in one of two alternating buffers, so that two paths can be
 * passed to one call (rename). */
static const char *at(const char *rel) {
    static char bufs[2][4096];
    static int which;
    which ^= 1;
    snprintf(bufs[which], sizeof bufs[which], "%s/%s", root, rel);
    return bufs[which];
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *rel) {
    DIR *d = opendir(at(rel));
    if (!d) {
        printf("opendir %s failed: %s\n", rel, strerror(errno));
        return;
    }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_names);
    printf("ls %s:", rel);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: files DIR\n");
        return 2;
    }
    root = argv[1];
    int lines = argc > 2 ? atoi(argv[2]) : 100;

    FILE *f = fopen(at("data.txt"), "w");
    if (!f) {
        printf("fopen for writing failed: %s\n", strerror(errno));
        return 1;
    }
    for (int i = 0; i < lines; i++) fprintf(f, "line %d: %d\n", i, i * i);
    fclose(f);

    struct stat st;
    printf("stat: %d size=%lld regular=%d\n", stat(at("data.txt"), &st), (long long)st.st_size, S_ISREG(st.st_mode));

    f = fopen(at("data.txt"), "r");
    char line[128];
    long sum = 0;
    int count = 0;
    while (fgets(line, sizeof line, f)) {
        int a, b;
        if (sscanf(line, "line %d: %d", &a, &b) == 2) sum += b;
        count++;
    }
    printf("read %d lines, sum %ld\n", count, sum);
    fseek(f, 7, SEEK_SET);
    printf("after seek: %s", fgets(line, sizeof line, f) ? line : "(eof)\n");
    fseek(f, 0, SEEK_END);
    printf("ftell at end: %ld\n", ftell(f));
    fclose(f);

    f = fopen(at("data.txt"), "a");
    fputs("appended\n", f);
    fclose(f);
    int fd = open(at("data.txt"), O_RDONLY);
    off_t end = lseek(fd, 0, SEEK_END);
    lseek(fd, -9, SEEK_END);
    char tail[16] = {0};
    ssize_t got = read(fd, tail, 9);
    close(fd);
    printf("size after append %lld, tail (%zd bytes) %s", (long long)end, got, tail);

    printf("rename: %d\n", rename(at("data.txt"), at("renamed.txt")));
    errno = 0;
    printf("old name gone: %s\n", access(at("data.txt"), F_OK) != 0 && errno == ENOENT ? "yes" : "no");
    printf("mkdir: %d\n", mkdir(at("sub"), 0755));
    f = fopen(at("sub/inner.bin"), "wb");
    unsigned char bytes[256];
    for (int i = 0; i < 256; i++) bytes[i] = (unsigned char)i;
    fwrite(bytes, 1, sizeof bytes, f);
    fclose(f);
    f = fopen(at("sub/inner.bin"), "rb");
    unsigned char back[256];
    size_t n = fread(back, 1, sizeof back, f);
    fclose(f);
    printf("binary round trip: %zu bytes, equal=%d\n", n, memcmp(bytes, back, sizeof bytes) == 0);
    list(".");
    list("sub");
    errno = 0;
    printf("open missing: %s\n", fopen(at("missing/file"), "r") == NULL && errno == ENOENT ? "ENOENT" : "unexpected");
    errno = 0;
    printf("rmdir non-empty fails: %s\n", rmdir(at("sub")) != 0 && errno == ENOTEMPTY ? "ENOTEMPTY" : "unexpected");
    printf("unlink: %d %d\n", unlink(at("sub/inner.bin")), unlink(at("renamed.txt")));
    printf("rmdir: %d\n", rmdir(at("sub")));
    list(".");
    return 0;
}
