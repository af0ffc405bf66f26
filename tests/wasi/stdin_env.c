/* Reads stdin to EOF (the run script pipes a fixed text in), prints its length
 * and hash, selected environment variables and arguments, then exits with 7. */
#include "common.h"
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    char buf[1000];
    size_t total = 0;
    unsigned h = 5381;
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) h = h * 33u + (unsigned char)buf[i];
        total += (size_t)n;
    }
    printf("stdin bytes=%zu hash=%08x last_read=%zd\n", total, h, n);
    const char *v = getenv("TERN_WASI_TEST");
    printf("TERN_WASI_TEST=%s\n", v ? v : "(unset)");
    printf("MISSING=%s\n", getenv("TERN_WASI_MISSING") ? "set" : "(unset)");
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    fflush(stdout);
    exit(7);
}
