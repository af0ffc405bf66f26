/* Checkpoint/restore between a setjmp and its longjmp: each round sets a
 * jump buffer in main, descends a chain of calls that loop (migration
 * points, so a checkpoint lands inside main's try_table, deep in calls) and
 * longjmps back from the bottom. After a restore on the other ISA the jump
 * must be caught by the restored main frame. */
#include <stdio.h>

#include "sjlj_runtime.h"

static jmp_buf env;

/* Not a counted loop (two exit conditions), so it polls for checkpoints. */
__attribute__((noinline)) static unsigned mix(unsigned acc, int n) {
    while (n-- > 0 && acc != 7u)
        acc = acc * 1103515245u + 12345u + (unsigned)n;
    return acc;
}

__attribute__((noinline)) static unsigned descend(int depth, unsigned acc) {
    acc = mix(acc, 2000 + depth);
    if (depth == 0)
        longjmp(env, (int)(acc % 1000) + 1);
    return descend(depth - 1, acc) ^ (unsigned)depth;
}

int main(void) {
    volatile unsigned total = 0;
    for (int round = 0; round < 12; round++) {
        int r = setjmp(env);
        if (r == 0) {
            descend(8 + round % 3, total + (unsigned)round);
            printf("not reached\n");
        }
        total = total * 7u + (unsigned)r;
        printf("round %d: longjmp value %d, total %u\n", round, r, total);
    }
    return 0;
}
