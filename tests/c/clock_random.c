/* Clocks and randomness. Only facts that hold on every run are printed. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static int64_t ns(struct timespec ts) { return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec; }

int main(void) {
    struct timespec a, b, real, res;
    int ok = 1;

    if (clock_gettime(CLOCK_MONOTONIC, &a) != 0) ok = 0;
    volatile uint64_t sink = 0;
    for (uint64_t i = 0; i < 1000000; i++) sink += i * i;
    if (clock_gettime(CLOCK_MONOTONIC, &b) != 0) ok = 0;
    printf("monotonic calls ok: %s\n", ok ? "yes" : "no");
    printf("monotonic non-decreasing: %s\n", ns(b) >= ns(a) ? "yes" : "no");
    printf("monotonic nanoseconds in range: %s\n",
           a.tv_nsec >= 0 && a.tv_nsec < 1000000000 ? "yes" : "no");

    int r = clock_gettime(CLOCK_REALTIME, &real);
    /* 2020-01-01 .. 2100-01-01 */
    printf("realtime plausible: %s\n",
           r == 0 && real.tv_sec > 1577836800 && real.tv_sec < 4102444800 ? "yes" : "no");
    time_t t = time(NULL);
    printf("time() plausible: %s\n", t > 1577836800 ? "yes" : "no");
    printf("resolution positive: %s\n",
           clock_getres(CLOCK_MONOTONIC, &res) == 0 && ns(res) > 0 ? "yes" : "no");

    unsigned char x[32], y[32];
    memset(x, 0, sizeof x);
    memset(y, 0, sizeof y);
    int rx = getentropy(x, sizeof x);
    int ry = getentropy(y, sizeof y);
    printf("getentropy ok: %s\n", rx == 0 && ry == 0 ? "yes" : "no");
    printf("two draws differ: %s\n", memcmp(x, y, sizeof x) != 0 ? "yes" : "no");
    int nonzero = 0;
    for (size_t i = 0; i < sizeof x; i++) nonzero |= x[i];
    printf("draw not all zero: %s\n", nonzero ? "yes" : "no");

    /* A big request is allowed up to 256 bytes for getentropy. */
    unsigned char big[512];
    printf("getentropy 256 ok: %s\n", getentropy(big, 256) == 0 ? "yes" : "no");
    printf("getentropy 257 fails: %s\n", getentropy(big, 257) != 0 ? "yes" : "no");

    struct timespec nap = {0, 1000000}; /* 1 ms */
    clock_gettime(CLOCK_MONOTONIC, &a);
    int slept = nanosleep(&nap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("nanosleep ok: %s\n", slept == 0 ? "yes" : "no");
    printf("slept at least 1ms: %s\n", ns(b) - ns(a) >= 1000000 ? "yes" : "no");
    return 0;
}
