/* Exit codes: `return` from main, exit(), _Exit(), and atexit handlers.
 * Usage: exit_codes MODE CODE where MODE is return|exit|_exit|abort (abort
 * is a trap under Wasm and SIGABRT natively: only the trap tests use it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_exit_first(void) { printf("atexit: first registered, runs last\n"); }
static void on_exit_second(void) { printf("atexit: second registered, runs first\n"); }

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: exit_codes return|exit|_exit|abort CODE\n");
        return 2;
    }
    int code = atoi(argv[2]);
    atexit(on_exit_first);
    atexit(on_exit_second);
    printf("mode=%s code=%d\n", argv[1], code);
    if (strcmp(argv[1], "return") == 0)
        return code;
    if (strcmp(argv[1], "exit") == 0)
        exit(code);
    if (strcmp(argv[1], "_exit") == 0) {
        fflush(stdout); /* _Exit skips stdio flushing and atexit handlers. */
        printf("this line is never flushed\n");
        _Exit(code);
    }
    if (strcmp(argv[1], "abort") == 0) {
        fflush(stdout);
        abort();
    }
    fprintf(stderr, "unknown mode %s\n", argv[1]);
    return 3;
}
