/* Recursion: naive Fibonacci, Ackermann, mutual recursion, deep non-tail
 * recursion, and a recursive quicksort/permutation search. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static uint64_t fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

__attribute__((noinline)) static unsigned ack(unsigned m, unsigned n) {
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static int is_odd(unsigned n);
__attribute__((noinline)) static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
__attribute__((noinline)) static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

/* Not a tail call: the addition happens after the call returns. */
__attribute__((noinline)) static uint64_t depth_sum(unsigned n) {
    if (n == 0) return 0;
    return n + depth_sum(n - 1) * 3 % 1000003;
}

static int queens(int n, int row, unsigned cols, unsigned d1, unsigned d2) {
    if (row == n) return 1;
    int count = 0;
    for (int c = 0; c < n; c++) {
        unsigned a = 1u << c, b = 1u << (row + c), d = 1u << (row - c + n);
        if ((cols & a) || (d1 & b) || (d2 & d)) continue;
        count += queens(n, row + 1, cols | a, d1 | b, d2 | d);
    }
    return count;
}

static void quicksort(int *a, int lo, int hi) {
    if (lo >= hi) return;
    int p = a[(lo + hi) / 2], i = lo, j = hi;
    while (i <= j) {
        while (a[i] < p) i++;
        while (a[j] > p) j--;
        if (i <= j) {
            int t = a[i];
            a[i++] = a[j];
            a[j--] = t;
        }
    }
    quicksort(a, lo, j);
    quicksort(a, i, hi);
}

int main(int argc, char **argv) {
    unsigned depth = argc > 1 ? (unsigned)atoi(argv[1]) : 10000;
    printf("fib(27) = %llu\n", (unsigned long long)fib(27));
    printf("ack(2, 3) = %u, ack(3, 5) = %u\n", ack(2, 3), ack(3, 5));
    printf("is_even(10001) = %d, is_odd(7777) = %d\n", is_even(10001), is_odd(7777));
    printf("depth_sum(%u) = %llu\n", depth, (unsigned long long)depth_sum(depth));
    for (int n = 4; n <= 9; n++) printf("queens(%d) = %d\n", n, queens(n, 0, 0, 0, 0));

    int n = 50000;
    int *a = malloc(n * sizeof *a);
    uint32_t x = 12345;
    for (int i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        a[i] = (int)(x % 100000) - 50000;
    }
    quicksort(a, 0, n - 1);
    int sorted = 1;
    for (int i = 1; i < n; i++) sorted &= a[i - 1] <= a[i];
    printf("quicksort sorted=%d min=%d median=%d max=%d\n", sorted, a[0], a[n / 2], a[n - 1]);
    free(a);
    return 0;
}
