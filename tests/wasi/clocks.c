/* clock_res_get and clock_time_get for all four clocks (realtime, monotonic,
 * process and thread CPU time), unknown clock ids, monotonicity, CPU time
 * advancing under load, random_get and sched_yield. Only properties are
 * printed, never the times themselves. */
#include "common.h"

static const char *const NAMES[] = {"realtime", "monotonic", "process", "thread"};

static __wasi_timestamp_t now(__wasi_clockid_t id, __wasi_errno_t *e) {
    __wasi_timestamp_t t = 0;
    *e = __wasi_clock_time_get(id, 1, &t);
    return t;
}

/* clock_res_get and clock_time_get of clock `id`, printed. */
static void probe(__wasi_clockid_t id) {
    char label[64];
    __wasi_timestamp_t res = 0;
    snprintf(label, sizeof label, "clock_res_get %s", NAMES[id]);
    if (wcheck(label, __wasi_clock_res_get(id, &res)) == 0)
        printf("  res in (0, 1s]: %d\n", res > 0 && res <= 1000000000ull);
    __wasi_errno_t e;
    snprintf(label, sizeof label, "clock_time_get %s", NAMES[id]);
    __wasi_timestamp_t t0 = now(id, &e);
    if (wcheck(label, e) == 0) {
        __wasi_timestamp_t t1 = now(id, &e);
        printf("  nondecreasing: %d\n", t1 >= t0);
    }
    fflush(stdout);
}

/* Burns CPU for 30 ms of monotonic time; true if clock `id` advanced. */
static int advances_under_load(__wasi_clockid_t id) {
    __wasi_errno_t e;
    __wasi_timestamp_t c0 = now(id, &e);
    __wasi_timestamp_t m0 = now(__WASI_CLOCKID_MONOTONIC, &e);
    volatile unsigned long long acc = 0;
    while (now(__WASI_CLOCKID_MONOTONIC, &e) - m0 < 30000000ull)
        for (int i = 0; i < 10000; i++) acc += (unsigned long long)i * i;
    return now(id, &e) > c0;
}

/* argv[1]: "wall" (realtime, monotonic, random_get, sched_yield), "process"
 * or "thread" (a CPU-time clock), "badid" (unknown clock ids). Wasmtime traps
 * on the last three (see docs/wasi.md), so each runs on its own and flushes
 * what it printed first. */
int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "wall";
    __wasi_errno_t e;
    __wasi_timestamp_t t;
    if (strcmp(mode, "process") == 0 || strcmp(mode, "thread") == 0) {
        __wasi_clockid_t id = mode[0] == 'p' ? __WASI_CLOCKID_PROCESS_CPUTIME_ID
                                             : __WASI_CLOCKID_THREAD_CPUTIME_ID;
        printf("cpu clock %s\n", mode);
        fflush(stdout);
        probe(id);
        printf("%s cpu advanced: %d\n", mode, advances_under_load(id));
        return 0;
    }
    if (strcmp(mode, "badid") == 0) {
        printf("unknown clock ids\n");
        fflush(stdout);
        wcheck("clock_time_get id 4", __wasi_clock_time_get(4, 1, &t));
        wcheck("clock_res_get id 99", __wasi_clock_res_get(99, &t));
        return 0;
    }
    probe(__WASI_CLOCKID_REALTIME);
    probe(__WASI_CLOCKID_MONOTONIC);
    printf("realtime after 2020: %d\n", now(__WASI_CLOCKID_REALTIME, &e) > 1577836800ull * 1000000000ull);
    printf("monotonic advances: %d\n", advances_under_load(__WASI_CLOCKID_MONOTONIC));
    /* random_get: two buffers differ; zero length is fine. */
    uint8_t a[64], b[64];
    wcheck("random_get", __wasi_random_get(a, sizeof a));
    wcheck("random_get again", __wasi_random_get(b, sizeof b));
    printf("  buffers differ: %d\n", memcmp(a, b, sizeof a) != 0);
    wcheck("random_get empty", __wasi_random_get(a, 0));
    wcheck("sched_yield", __wasi_sched_yield());
    return 0;
}
