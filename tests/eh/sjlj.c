/* setjmp/longjmp through Wasm exceptions: jumps out of nested calls, a
 * longjmp(0), a jump past a function with setjmp calls of its own (its
 * handler must rethrow), a jump out of deep recursion, and many jumps in a
 * loop. The output is compared across native, Wasmtime and tern. */
#include <stdio.h>
#include <stdlib.h>

#include "sjlj_runtime.h"

static jmp_buf outer;
static int depth_reached;

__attribute__((noinline)) _Noreturn static void jump_to(jmp_buf env, int val) {
    longjmp(env, val);
}

__attribute__((noinline)) static int nested(int n) {
    if (n == 0)
        jump_to(outer, 42);
    return nested(n - 1) + 1;
}

/* Has a setjmp of its own, then jumps to the caller's buffer: the jump
 * passes through this function's handler, which must let it go on. */
__attribute__((noinline)) static int middle(jmp_buf target) {
    jmp_buf own;
    volatile int local = 7;
    if (setjmp(own) != 0) {
        printf("middle: wrong handler\n");
        return -1;
    }
    if (local == 7)
        jump_to(target, 99);
    return local;
}

__attribute__((noinline)) static void recurse(int n, jmp_buf env) {
    depth_reached = n;
    if (n == 500)
        longjmp(env, n);
    recurse(n + 1, env);
}

int main(void) {
    volatile int counter = 0;
    int r = setjmp(outer);
    counter++;
    if (r == 0) {
        printf("first return, counter %d\n", counter);
        nested(10);
        printf("not reached\n");
    }
    printf("longjmp returned %d, counter %d\n", r, counter);

    jmp_buf zero;
    r = setjmp(zero);
    if (r == 0)
        jump_to(zero, 0);
    printf("longjmp(0) returns %d\n", r);

    jmp_buf past;
    r = setjmp(past);
    if (r == 0) {
        middle(past);
        printf("not reached\n");
    }
    printf("jumped past middle: %d\n", r);

    jmp_buf deep;
    r = setjmp(deep);
    if (r == 0)
        recurse(0, deep);
    printf("out of recursion at depth %d (value %d)\n", depth_reached, r);

    volatile unsigned sum = 0;
    for (int i = 1; i <= 1000; i++) {
        jmp_buf loop;
        int v = setjmp(loop);
        if (v == 0)
            jump_to(loop, i);
        sum = sum * 31 + (unsigned)v;
    }
    printf("1000 jumps, checksum %u\n", sum);
    return 0;
}
