/* setjmp/longjmp for wasm32 built with clang's Wasm exception-handling
 * lowering (-mllvm -wasm-enable-sjlj -mllvm -wasm-use-legacy-eh=false).
 *
 * Debian's wasi-libc has no setjmp.h or libsetjmp, so the test programs
 * bring their own runtime. The ABI is the one LLVM's
 * WebAssemblyLowerEmscriptenEHSjLj pass expects: `setjmp(env)` becomes
 * `__wasm_setjmp(env, label, invocation_id)`, `longjmp(env, val)` becomes
 * `__wasm_longjmp(env, val)`, which throws the `__c_longjmp` tag with a
 * pointer to `{env, val}`; the catching function asks
 * `__wasm_setjmp_test(env, invocation_id)` which of its setjmp calls (label,
 * 0: none of its own, rethrow) the jump goes to.
 *
 * The functions are in sjlj_runtime.c: a translation unit using setjmp
 * must not define them (the pass declares its own).
 *
 * Natively the system <setjmp.h> is used, so the output can be compared. */
#ifndef TERN_SJLJ_RUNTIME_H
#define TERN_SJLJ_RUNTIME_H

#ifdef __wasm__
#include <stdint.h>

struct tern_longjmp_args {
    void *env;
    int val;
};

/* What one jmp_buf holds: which function invocation and which of its
 * setjmp calls saved it, and the arguments of a longjmp to it. */
struct tern_jmp_buf {
    void *invocation;
    uint32_t label;
    struct tern_longjmp_args args;
};

typedef struct tern_jmp_buf jmp_buf[1];

int setjmp(jmp_buf env) __attribute__((returns_twice));
_Noreturn void longjmp(jmp_buf env, int val);

#else
#include <setjmp.h>
#endif

#endif
