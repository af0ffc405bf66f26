/* The setjmp/longjmp runtime for wasm32 (see sjlj_runtime.h). Empty natively. */
#include "sjlj_runtime.h"

#ifdef __wasm__
/* The tag thrown by longjmp: one i32 parameter (the address of the args). */
__asm__(".globl __c_longjmp\n"
        ".tagtype __c_longjmp i32\n"
        "__c_longjmp:\n");

void __wasm_setjmp(void *env, uint32_t label, void *invocation) {
    struct tern_jmp_buf *buf = env;
    buf->invocation = invocation;
    buf->label = label;
}

uint32_t __wasm_setjmp_test(void *env, void *invocation) {
    struct tern_jmp_buf *buf = env;
    return buf->invocation == invocation ? buf->label : 0;
}

void __wasm_longjmp(void *env, int val) {
    struct tern_jmp_buf *buf = env;
    buf->args.env = env;
    buf->args.val = val == 0 ? 1 : val;
    __builtin_wasm_throw(1, &buf->args);
}
#endif
