/* WASI-heavy benchmark: file copy and directory walk in the directory given
 * as argv[1] (bench/run.py passes a scratch folder natively and preopens it
 * as /work for tern and Wasmtime; the marker below asks for that).
 * BENCH_NEEDS_DIR BENCH_FEATURE_CASE (it measures the WASI host, not compiled code:
 * shown in the table, kept out of the compute suite's geomean)
 *
 * 1. writes an 8 MiB file in 64 KiB writes, copies it three times with
 *    read/write of 64 KiB and reads every copy back to check it;
 * 2. creates 10 directories of 200 files (2,000 small files), walks the tree
 *    ten times with opendir/readdir/stat, renames every file once;
 * 3. removes everything again.
 * Prints order-independent checksums, so every host prints the same. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
#define FILE_CHUNKS 128 /* 8 MiB */
#define DIRS 10
#define FILES 200
#define WALKS 10

static char buf[CHUNK];

static void die(const char *what, const char *path) {
    perror(what);
    fprintf(stderr, "  at %s\n", path);
    exit(1);
}

static uint64_t fnv(const void *p, size_t n, uint64_t h) {
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 1099511628211ull;
    return h;
}

static uint64_t copy_file(const char *from, const char *to) {
    int in = open(from, O_RDONLY);
    if (in < 0) die("open", from);
    int out = open(to, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (out < 0) die("open", to);
    uint64_t total = 0;
    ssize_t n;
    while ((n = read(in, buf, CHUNK)) > 0) {
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w <= 0) die("write", to);
            done += w;
        }
        total += (uint64_t)n;
    }
    if (n < 0) die("read", from);
    close(in);
    close(out);
    return total;
}

static uint64_t file_hash(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) die("open", path);
    uint64_t h = 1469598103934665603ull;
    ssize_t n;
    while ((n = read(fd, buf, CHUNK)) > 0) h = fnv(buf, (size_t)n, h);
    close(fd);
    return h;
}

/* Walks `dir` recursively; adds entries, bytes and a sum of name hashes. */
static void walk(const char *dir, uint64_t *entries, uint64_t *bytes, uint64_t *names) {
    DIR *d = opendir(dir);
    if (!d) die("opendir", dir);
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) die("stat", path);
        (*entries)++;
        *names += fnv(e->d_name, strlen(e->d_name), 1469598103934665603ull);
        if (S_ISDIR(st.st_mode)) walk(path, entries, bytes, names);
        else *bytes += (uint64_t)st.st_size;
    }
    closedir(d);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: wasi_io DIR\n");
        return 2;
    }
    const char *base = argv[1];
    char src[256], dst[256], path[512], to[512];
    snprintf(src, sizeof src, "%s/source.bin", base);
    int fd = open(src, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) die("open", src);
    uint64_t x = 88172645463325252ull;
    for (int c = 0; c < FILE_CHUNKS; c++) {
        for (size_t i = 0; i < CHUNK; i += 8) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            memcpy(buf + i, &x, 8);
        }
        if (write(fd, buf, CHUNK) != CHUNK) die("write", src);
    }
    close(fd);
    uint64_t want = file_hash(src), copied = 0;
    for (int i = 0; i < 3; i++) {
        snprintf(dst, sizeof dst, "%s/copy%d.bin", base, i);
        copied += copy_file(src, dst); /* from the previous copy */
        if (file_hash(dst) != want) {
            fprintf(stderr, "copy %d differs\n", i);
            return 1;
        }
        snprintf(src, sizeof src, "%s", dst);
    }
    printf("copied %llu bytes, hash %016llx\n", (unsigned long long)copied, (unsigned long long)want);

    snprintf(path, sizeof path, "%s/tree", base);
    if (mkdir(path, 0755) != 0) die("mkdir", path);
    for (int d = 0; d < DIRS; d++) {
        snprintf(path, sizeof path, "%s/tree/d%02d", base, d);
        if (mkdir(path, 0755) != 0) die("mkdir", path);
        for (int f = 0; f < FILES; f++) {
            snprintf(path, sizeof path, "%s/tree/d%02d/file%04d.txt", base, d, f);
            int out = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
            if (out < 0) die("open", path);
            int len = snprintf(buf, 200, "directory %d file %d of the walk benchmark\n", d, f);
            if (write(out, buf, (size_t)len) != len) die("write", path);
            close(out);
        }
    }
    uint64_t entries = 0, bytes = 0, names = 0;
    snprintf(path, sizeof path, "%s/tree", base);
    for (int pass = 0; pass < WALKS; pass++) walk(path, &entries, &bytes, &names);
    printf("walked %llu entries, %llu bytes, names %016llx\n", (unsigned long long)entries,
           (unsigned long long)bytes, (unsigned long long)names);
    for (int d = 0; d < DIRS; d++)
        for (int f = 0; f < FILES; f++) {
            snprintf(path, sizeof path, "%s/tree/d%02d/file%04d.txt", base, d, f);
            snprintf(to, sizeof to, "%s/tree/d%02d/renamed%04d.txt", base, d, f);
            if (rename(path, to) != 0) die("rename", path);
        }
    for (int d = 0; d < DIRS; d++) {
        for (int f = 0; f < FILES; f++) {
            snprintf(path, sizeof path, "%s/tree/d%02d/renamed%04d.txt", base, d, f);
            if (unlink(path) != 0) die("unlink", path);
        }
        snprintf(path, sizeof path, "%s/tree/d%02d", base, d);
        if (rmdir(path) != 0) die("rmdir", path);
    }
    snprintf(path, sizeof path, "%s/tree", base);
    rmdir(path);
    snprintf(path, sizeof path, "%s/source.bin", base);
    unlink(path);
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/copy%d.bin", base, i);
        unlink(path);
    }
    printf("cleaned up\n");
    return 0;
}
