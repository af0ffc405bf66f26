/* Switch statements (br_table): a bytecode interpreter with a dense switch,
 * a sparse switch, and a character-class state machine tokenizer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PUSH, POP, ADD, SUB, MUL, DIV, MOD, DUP, SWAP, OVER, JMP, JZ, JNZ, LT, EQ, NOT, PRINT, LOAD, STORE, INC, DEC, HALT };

static int64_t run(const int64_t *code, int64_t arg, int trace) {
    int64_t stack[64], vars[8] = {arg};
    int sp = 0, pc = 0, steps = 0;
    for (;;) {
        steps++;
        int64_t op = code[pc++], a, b;
        switch (op) {
        case PUSH: stack[sp++] = code[pc++]; break;
        case POP: sp--; break;
        case ADD: b = stack[--sp]; a = stack[--sp]; stack[sp++] = a + b; break;
        case SUB: b = stack[--sp]; a = stack[--sp]; stack[sp++] = a - b; break;
        case MUL: b = stack[--sp]; a = stack[--sp]; stack[sp++] = a * b; break;
        case DIV: b = stack[--sp]; a = stack[--sp]; stack[sp++] = b ? a / b : 0; break;
        case MOD: b = stack[--sp]; a = stack[--sp]; stack[sp++] = b ? a % b : 0; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case SWAP: a = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = a; break;
        case OVER: stack[sp] = stack[sp - 2]; sp++; break;
        case JMP: pc = (int)code[pc]; break;
        case JZ: a = stack[--sp]; pc = a == 0 ? (int)code[pc] : pc + 1; break;
        case JNZ: a = stack[--sp]; pc = a != 0 ? (int)code[pc] : pc + 1; break;
        case LT: b = stack[--sp]; a = stack[--sp]; stack[sp++] = a < b; break;
        case EQ: b = stack[--sp]; a = stack[--sp]; stack[sp++] = a == b; break;
        case NOT: stack[sp - 1] = !stack[sp - 1]; break;
        case PRINT: if (trace) printf("  print %lld\n", (long long)stack[sp - 1]); break;
        case LOAD: stack[sp++] = vars[code[pc++]]; break;
        case STORE: vars[code[pc++]] = stack[--sp]; break;
        case INC: vars[code[pc++]]++; break;
        case DEC: vars[code[pc++]]--; break;
        case HALT: if (trace) printf("  steps %d\n", steps); return sp ? stack[sp - 1] : 0;
        default: printf("bad opcode %lld at %d\n", (long long)op, pc - 1); exit(3);
        }
    }
}

/* Sparse switch: compiled to a compare tree, or a table with holes. */
static const char *http_status(int code) {
    switch (code) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 418: return "I'm a teapot";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

/* Dense switch with fallthrough. */
static int days_before_month(int month) {
    int d = 0;
    switch (month) {
    case 12: d += 30; /* fallthrough */
    case 11: d += 31; /* fallthrough */
    case 10: d += 30; /* fallthrough */
    case 9: d += 31; /* fallthrough */
    case 8: d += 31; /* fallthrough */
    case 7: d += 30; /* fallthrough */
    case 6: d += 31; /* fallthrough */
    case 5: d += 30; /* fallthrough */
    case 4: d += 31; /* fallthrough */
    case 3: d += 28; /* fallthrough */
    case 2: d += 31; /* fallthrough */
    case 1: break;
    default: return -1;
    }
    return d;
}

static void tokenize(const char *s) {
    enum { START, NUM, IDENT, OP } state = START;
    char tok[64];
    int len = 0, counts[4] = {0};
    for (const char *p = s;; p++) {
        char c = *p;
        int cls = (c >= '0' && c <= '9') ? 1 : ((c >= 'a' && c <= 'z') || c == '_') ? 2 : strchr("+-*/=()", c) && c ? 3 : 0;
        if (state != START && (cls != (int)state || state == OP)) {
            tok[len] = 0;
            printf("  %s '%s'\n", state == NUM ? "num" : state == IDENT ? "ident" : "op", tok);
            counts[state]++;
            state = START;
            len = 0;
        }
        if (!c) break;
        switch (cls) {
        case 1: state = NUM; tok[len++] = c; break;
        case 2: state = IDENT; tok[len++] = c; break;
        case 3: state = OP; tok[len++] = c; break;
        default: break;
        }
    }
    printf("  counts num=%d ident=%d op=%d\n", counts[NUM], counts[IDENT], counts[OP]);
}

int main(int argc, char **argv) {
    int64_t n = argc > 1 ? atoll(argv[1]) : 20;
    /* factorial(n) mod 1000000007 and the sum 1..n, by the interpreter. */
    const int64_t fact[] = {PUSH, 1, STORE, 1,            /* v1 = 1 */
                            LOAD, 0, JZ, 22,              /* while v0 != 0 */
                            LOAD, 1, LOAD, 0, MUL, PUSH, 1000000007, MOD, STORE, 1, DEC, 0, JMP, 4,
                            LOAD, 1, PRINT, HALT};
    printf("fact(%lld) mod p = %lld\n", (long long)n, (long long)run(fact, n, 1));
    const int64_t sum2[] = {PUSH, 0, STORE, 1,        /* 0: v1 = 0 */
                            LOAD, 0, JZ, 19,          /* 4 */
                            LOAD, 1, LOAD, 0, ADD, STORE, 1, DEC, 0, JMP, 4, /* 8..18 */
                            LOAD, 1, HALT};           /* 19 */
    for (int64_t k = 0; k <= 100000; k += 25000) printf("sum(%lld) = %lld\n", (long long)k, (long long)run(sum2, k, 0));

    int codes[] = {100, 200, 201, 204, 250, 301, 304, 400, 401, 403, 404, 418, 500, 503, 999, -1};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) printf("%d %s\n", codes[i], http_status(codes[i]));
    for (int m = 0; m <= 13; m++) printf("days before month %d: %d\n", m, days_before_month(m));
    printf("tokens:\n");
    tokenize("x1 = (foo_bar + 42) * 7 - baz / 3");
    return (int)(run(sum2, n, 0) % 256);
}
