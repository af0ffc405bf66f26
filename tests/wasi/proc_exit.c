/* proc_exit from deep inside the call stack, with output still buffered in
 * stdio (exit() flushes it; __wasi_proc_exit does not), selected by argv[1]:
 * "exit N" calls exit(N), "raw N" calls __wasi_proc_exit(N), "return N"
 * returns N from main. */
#include "common.h"
#include <stdlib.h>

static int depth(int n, const char *how, int code) {
    if (n > 0) return depth(n - 1, how, code) + 1;
    printf("at depth, buffered\n");
    if (strcmp(how, "exit") == 0) exit(code);
    if (strcmp(how, "raw") == 0) {
        fflush(stdout);
        __wasi_proc_exit((__wasi_exitcode_t)code);
    }
    return code;
}

int main(int argc, char **argv) {
    const char *how = argc > 1 ? argv[1] : "return";
    int code = argc > 2 ? atoi(argv[2]) : 0;
    int r = depth(100, how, code);
    printf("returning %d\n", r - 100);
    return r - 100;
}
