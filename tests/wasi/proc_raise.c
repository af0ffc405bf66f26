/* proc_raise with the WASI signal number given as argv[1] (the header of
 * Debian's wasi-libc no longer declares it, so it is imported directly).
 * Prints what it is about to do, the result if the call returns, and exits 0. */
#include "common.h"
#include <stdlib.h>

__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
int32_t raw_proc_raise(int32_t sig);

int main(int argc, char **argv) {
    int sig = argc > 1 ? atoi(argv[1]) : 0;
    printf("raise %d\n", sig);
    fflush(stdout);
    printf("proc_raise: %s\n", errname(raw_proc_raise(sig)));
    printf("after proc_raise\n");
    return 0;
}
