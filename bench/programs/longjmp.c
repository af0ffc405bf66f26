/* Exception-heavy: setjmp/longjmp in a loop, lowered to Wasm exceptions
 * (clang's exnref sjlj lowering; runtime in tests/eh). Each iteration sets a
 * buffer, descends a few calls and jumps back: one throw, a handler search
 * through the frames and a catch per iteration. BENCH_SJLJ BENCH_FEATURE_CASE */
#include <stdio.h>

#include "sjlj_runtime.h"

static jmp_buf env;

__attribute__((noinline)) static void leaf(int v) {
    if (v >= 0)
        longjmp(env, v + 1);
}

__attribute__((noinline)) static int middle(int v) {
    leaf(v ^ 3);
    return v;
}

__attribute__((noinline)) static int top(int v) {
    return middle(v + 1) * 2;
}

int main(void) {
    volatile unsigned sum = 0;
    for (int i = 0; i < 200000; i++) {
        int r = setjmp(env);
        if (r == 0)
            top(i & 1023);
        sum = sum * 31u + (unsigned)r;
    }
    printf("%u\n", sum);
    return 0;
}
