/* Arguments, environment-free output to stdout and stderr, and an exit code
 * derived from the arguments. argv[0] is never printed: it differs between a
 * native build and a Wasm build. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    unsigned hash = 5381;
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++) {
        size_t len = strlen(argv[i]);
        printf("argv[%d]=\"%s\" len=%zu\n", i, argv[i], len);
        for (size_t j = 0; j < len; j++)
            hash = hash * 33u + (unsigned char)argv[i][j];
        fprintf(stderr, "stderr: saw argument %d\n", i);
    }
    printf("hash=%08x\n", hash);
    /* Lots of small writes: exercises buffering and fd_write. */
    for (int i = 0; i < 2000; i++)
        printf("%d%c", i, i % 20 == 19 ? '\n' : ' ');
    fflush(stdout);
    fputs("stderr: done\n", stderr);
    return (argc - 1) * 10 + (int)(hash % 7);
}
