/* Function pointers (call_indirect): dispatch tables, qsort/bsearch
 * comparators, callbacks with varying signatures, and a pointer that is
 * picked at run time from the arguments. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int32_t (*binop)(int32_t, int32_t);
typedef double (*unop_f)(double);
typedef int64_t (*fold_fn)(int64_t acc, int64_t x);

static int32_t op_add(int32_t a, int32_t b) { return a + b; }
static int32_t op_sub(int32_t a, int32_t b) { return a - b; }
static int32_t op_mul(int32_t a, int32_t b) { return a * b; }
static int32_t op_max(int32_t a, int32_t b) { return a > b ? a : b; }
static int32_t op_xor(int32_t a, int32_t b) { return a ^ b; }

static double f_half(double x) { return x / 2; }
static double f_sq(double x) { return x * x; }
static double f_neg(double x) { return -x; }

static int64_t fold_sum(int64_t acc, int64_t x) { return acc + x; }
static int64_t fold_hash(int64_t acc, int64_t x) { return acc * 31 + x; }

static const struct { const char *name; binop fn; } ops[] = {
    {"add", op_add}, {"sub", op_sub}, {"mul", op_mul}, {"max", op_max}, {"xor", op_xor},
};

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}
static int cmp_int_desc(const void *a, const void *b) { return cmp_int(b, a); }
static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int64_t fold(const int64_t *xs, int n, int64_t init, fold_fn f) {
    for (int i = 0; i < n; i++) init = f(init, xs[i]);
    return init;
}

/* A tiny object system: a vtable of function pointers. */
struct shape;
struct shape_vt {
    int64_t (*area2)(const struct shape *); /* twice the area, exact */
    const char *(*name)(void);
};
struct shape { const struct shape_vt *vt; int64_t a, b; };
static int64_t rect_area2(const struct shape *s) { return 2 * s->a * s->b; }
static int64_t tri_area2(const struct shape *s) { return s->a * s->b; }
static const char *rect_name(void) { return "rect"; }
static const char *tri_name(void) { return "triangle"; }
static const struct shape_vt rect_vt = {rect_area2, rect_name};
static const struct shape_vt tri_vt = {tri_area2, tri_name};

int main(int argc, char **argv) {
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        printf("%s(1234567, -89) = %d\n", ops[i].name, ops[i].fn(1234567, -89));

    /* Choose the operator by name from the command line. */
    for (int i = 1; i < argc; i++)
        for (size_t j = 0; j < sizeof ops / sizeof ops[0]; j++)
            if (strcmp(argv[i], ops[j].name) == 0) {
                int32_t acc = 1;
                for (int32_t k = 1; k <= 20; k++) acc = ops[j].fn(acc, k * 7);
                printf("chain %s = %d\n", ops[j].name, acc);
            }

    unop_f pipeline[] = {f_sq, f_half, f_neg, f_sq, f_half};
    double v = 3.0;
    for (size_t i = 0; i < sizeof pipeline / sizeof pipeline[0]; i++) v = pipeline[i](v);
    printf("pipeline(3) = %.3f\n", v);

    int arr[1000];
    uint32_t x = 99;
    for (int i = 0; i < 1000; i++) {
        x = x * 1103515245u + 12345u;
        arr[i] = (int)(x >> 8) % 10007;
    }
    qsort(arr, 1000, sizeof arr[0], cmp_int);
    printf("sorted: %d %d %d ... %d\n", arr[0], arr[1], arr[2], arr[999]);
    int key = arr[500];
    int *found = bsearch(&key, arr, 1000, sizeof arr[0], cmp_int);
    printf("bsearch %d found at value %d\n", key, found ? *found : -1);
    qsort(arr, 1000, sizeof arr[0], cmp_int_desc);
    printf("desc: %d %d ... %d\n", arr[0], arr[1], arr[999]);

    const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "date", "elderberry"};
    qsort(words, 7, sizeof words[0], cmp_str);
    for (int i = 0; i < 7; i++) printf("%s%s", words[i], i < 6 ? "," : "\n");

    int64_t xs[10];
    for (int i = 0; i < 10; i++) xs[i] = (int64_t)i * 1000000007;
    fold_fn folds[] = {fold_sum, fold_hash};
    for (int i = 0; i < 2; i++) printf("fold[%d] = %lld\n", i, (long long)fold(xs, 10, 7, folds[i]));

    struct shape shapes[] = {{&rect_vt, 3, 4}, {&tri_vt, 5, 6}, {&rect_vt, 100000, 300000}};
    for (int i = 0; i < 3; i++)
        printf("%s area*2 = %lld\n", shapes[i].vt->name(), (long long)shapes[i].vt->area2(&shapes[i]));
    return argc > 1 ? 0 : 5;
}
