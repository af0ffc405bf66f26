/* 64-bit integers: arithmetic, division edge cases, shifts and rotates, bit
 * counting, 128-bit products (compiler-rt on wasm32), and PRNG/hash mixes. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__wasm__)
/* Debian's compiler-rt for wasm32 (umodti3) is built with a stack protector,
 * and its 2022 wasi-libc does not provide the guard. */
uintptr_t __stack_chk_guard = 0x5a5a1234u;
void __stack_chk_fail(void) { abort(); }
#endif

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, unsigned k) { return (x << (k & 63)) | (x >> ((64 - k) & 63)); }
static uint32_t rotr32(uint32_t x, unsigned k) { return (x >> (k & 31)) | (x << ((32 - k) & 31)); }

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m) { return (uint64_t)((unsigned __int128)a * b % m); }
static uint64_t powmod(uint64_t b, uint64_t e, uint64_t m) {
    uint64_t r = 1;
    for (b %= m; e; e >>= 1, b = mulmod(b, b, m))
        if (e & 1) r = mulmod(r, b, m);
    return r;
}
static int is_prime(uint64_t n) { /* deterministic Miller-Rabin for 64-bit */
    if (n < 2) return 0;
    static const uint64_t bases[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
    for (int i = 0; i < 12; i++)
        if (n % bases[i] == 0) return n == bases[i];
    uint64_t d = n - 1;
    int s = 0;
    while (!(d & 1)) d >>= 1, s++;
    for (int i = 0; i < 12; i++) {
        uint64_t x = powmod(bases[i], d, n);
        if (x == 1 || x == n - 1) continue;
        int comp = 1;
        for (int r = 1; r < s && comp; r++)
            if ((x = mulmod(x, x, n)) == n - 1) comp = 0;
        if (comp) return 0;
    }
    return 1;
}

int main(int argc, char **argv) {
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 42;
    volatile int64_t vmin = INT64_MIN, vm1 = -1, v7 = 7, vneg7 = -7;
    printf("INT64_MIN=%" PRId64 " INT64_MAX=%" PRId64 " UINT64_MAX=%" PRIu64 "\n", INT64_MIN, INT64_MAX, UINT64_MAX);
    printf("-7/2=%" PRId64 " -7%%2=%" PRId64 " 7/-2=%" PRId64 " 7%%-2=%" PRId64 "\n", vneg7 / 2, vneg7 % 2, v7 / -2,
           v7 % -2);
    printf("INT64_MIN/1=%" PRId64 " INT64_MIN*-1=%" PRIu64 " -1%%INT64_MIN=%" PRId64 "\n", vmin / 1, (uint64_t)vmin * (uint64_t)vm1, vm1 % vmin);
    printf("u: UINT64_MAX/3=%" PRIu64 " UINT64_MAX%%10=%" PRIu64 "\n", (uint64_t)vm1 / 3, (uint64_t)vm1 % 10);
    printf("shifts: %" PRIx64 " %" PRIx64 " %" PRId64 " %" PRIx64 "\n", (uint64_t)1 << 63, (uint64_t)vmin >> 3,
           vmin >> 3, (uint64_t)0xdeadbeefcafebabeull >> 32);

    uint64_t s = seed;
    uint64_t acc = 0;
    for (int i = 0; i < 5; i++) {
        uint64_t r = splitmix64(&s);
        printf("splitmix[%d]=%016" PRIx64 " clz=%d ctz=%d pop=%d rotl13=%016" PRIx64 "\n", i, r, __builtin_clzll(r | 1),
               __builtin_ctzll(r | (1ull << 63)), __builtin_popcountll(r), rotl(r, 13));
        acc ^= r;
    }
    printf("rotr32(0x12345678, 8)=%08" PRIx32 " bswap64=%016" PRIx64 "\n", rotr32(0x12345678u, 8),
           __builtin_bswap64(0x0102030405060708ull));

    /* 128-bit arithmetic. */
    unsigned __int128 p = (unsigned __int128)UINT64_MAX * UINT64_MAX;
    printf("UINT64_MAX^2 = %016" PRIx64 "%016" PRIx64 "\n", (uint64_t)(p >> 64), (uint64_t)p);
    __int128 q = (__int128)INT64_MIN * 3 / 7;
    printf("INT64_MIN*3/7 = hi %" PRId64 " lo %016" PRIx64 "\n", (int64_t)(q >> 64), (uint64_t)q);

    /* Primes near 2^62 via Miller-Rabin with 128-bit mulmod. */
    uint64_t n = (1ull << 62) + (acc & 0xffff);
    int found = 0;
    for (; found < 3; n++)
        if (is_prime(n)) {
            printf("prime: %" PRIu64 "\n", n);
            found++;
        }

    /* Signed overflow-free wrapping via unsigned, and mixed widths. */
    uint32_t a32 = 0xffffffffu;
    int32_t s32 = -1;
    printf("u32 wrap=%" PRIu32 " sext=%" PRId64 " zext=%" PRIu64 " i8=%d u16=%u\n", a32 + 2, (int64_t)s32,
           (uint64_t)a32, (int8_t)(acc & 0xff), (uint16_t)(acc >> 7));
    uint64_t fact = 1;
    for (uint64_t i = 1; i <= 25; i++) fact *= i; /* wraps mod 2^64 */
    printf("25! mod 2^64=%" PRIu64 " acc=%016" PRIx64 "\n", fact, acc);
    return (int)(acc % 100);
}
