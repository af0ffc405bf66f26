/* poll_oneoff as a raw WASI call: relative and absolute (ABSTIME) clock
 * subscriptions on the monotonic and realtime clocks and their timeouts, the
 * earliest of several clocks, fd_read/fd_write readiness of regular files and
 * of stdin (a pipe the test writes to), an fd subscription racing a clock,
 * and the error cases (no subscriptions, a closed fd, an unknown clock).
 * Elapsed times are printed as "at least" checks only. */
#include "common.h"

static __wasi_timestamp_t mono(void) {
    __wasi_timestamp_t t = 0;
    (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
    return t;
}

static __wasi_subscription_t clock_sub(__wasi_userdata_t ud, __wasi_clockid_t id,
                                       __wasi_timestamp_t timeout, __wasi_subclockflags_t flags) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = ud;
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = id;
    s.u.u.clock.timeout = timeout;
    s.u.u.clock.precision = 0;
    s.u.u.clock.flags = flags;
    return s;
}

static __wasi_subscription_t fd_sub(__wasi_userdata_t ud, __wasi_eventtype_t type, __wasi_fd_t fd) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = ud;
    s.u.tag = type;
    if (type == __WASI_EVENTTYPE_FD_READ) s.u.u.fd_read.file_descriptor = fd;
    else s.u.u.fd_write.file_descriptor = fd;
    return s;
}

/* Polls `n` subscriptions and prints the events in userdata order. */
static void poll_print_h(const char *label, const __wasi_subscription_t *subs, size_t n, int hangup) {
    __wasi_event_t ev[8];
    __wasi_size_t got = 0;
    __wasi_errno_t e = __wasi_poll_oneoff(subs, ev, n, &got);
    printf("%s: %s", label, errname(e));
    if (e) {
        printf("\n");
        return;
    }
    printf(" nevents=%lu\n", got);
    for (__wasi_size_t i = 1; i < got; i++)
        for (__wasi_size_t j = i; j > 0 && ev[j - 1].userdata > ev[j].userdata; j--) {
            __wasi_event_t t = ev[j];
            ev[j] = ev[j - 1];
            ev[j - 1] = t;
        }
    for (__wasi_size_t i = 0; i < got; i++) {
        printf("  userdata=%llu type=%u error=%s", (unsigned long long)ev[i].userdata, ev[i].type,
               errname(ev[i].error));
        /* nbytes is only meaningful for reads (Wasmtime always says 1). */
        if (ev[i].type == __WASI_EVENTTYPE_FD_READ)
            printf(" nbytes>0=%d", ev[i].fd_readwrite.nbytes > 0);
        if (hangup && ev[i].type != __WASI_EVENTTYPE_CLOCK)
            printf(" hangup=%d", !!(ev[i].fd_readwrite.flags & __WASI_EVENTRWFLAGS_FD_READWRITE_HANGUP));
        printf("\n");
    }
}

/* As poll_print_h, without the HANGUP flag (racy while a writer closes). */
static void poll_print(const char *label, const __wasi_subscription_t *subs, size_t n) {
    poll_print_h(label, subs, n, 0);
}

int main(void) {
    __wasi_subscription_t s[4];
    __wasi_event_t ev[4];
    __wasi_size_t n;
    wcheck("no subscriptions", __wasi_poll_oneoff(s, ev, 0, &n));

    __wasi_timestamp_t t0 = mono();
    s[0] = clock_sub(7, __WASI_CLOCKID_MONOTONIC, 20000000ull, 0);
    poll_print("relative 20ms", s, 1);
    printf("  waited>=20ms: %d\n", mono() - t0 >= 20000000ull);

    t0 = mono();
    s[0] = clock_sub(8, __WASI_CLOCKID_MONOTONIC, t0 + 15000000ull, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    poll_print("absolute +15ms", s, 1);
    printf("  waited>=15ms: %d\n", mono() - t0 >= 15000000ull);

    t0 = mono();
    s[0] = clock_sub(9, __WASI_CLOCKID_MONOTONIC, 1, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    poll_print("absolute in the past", s, 1);
    printf("  waited<1s: %d\n", mono() - t0 < 1000000000ull);

    t0 = mono();
    s[0] = clock_sub(10, __WASI_CLOCKID_REALTIME, 10000000ull, 0);
    poll_print("realtime relative 10ms", s, 1);
    printf("  waited>=10ms: %d\n", mono() - t0 >= 10000000ull);

    t0 = mono();
    s[0] = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 300000000ull, 0);
    s[1] = clock_sub(2, __WASI_CLOCKID_MONOTONIC, 10000000ull, 0);
    poll_print("earliest of two clocks", s, 2);
    printf("  waited<300ms: %d\n", mono() - t0 < 300000000ull);

    s[0] = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 0, 0);
    poll_print("zero timeout", s, 1);

    s[0] = clock_sub(1, 99, 1000, 0);
    poll_print("unknown clock", s, 1);

    /* A regular file is always ready; nbytes reports what is left to read. */
    __wasi_fd_t fd;
    __wasi_rights_t rights = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE |
                             __WASI_RIGHTS_POLL_FD_READWRITE | __WASI_RIGHTS_FD_SEEK;
    __wasi_errno_t e = __wasi_path_open(SB_FD, 0, "polled", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC,
                                        rights, rights, 0, &fd);
    wcheck("open polled", e);
    __wasi_ciovec_t v = {(const uint8_t *)"0123456789", 10};
    __wasi_fd_write(fd, &v, 1, &n);
    __wasi_filesize_t pos;
    __wasi_fd_seek(fd, 4, __WASI_WHENCE_SET, &pos);
    s[0] = fd_sub(1, __WASI_EVENTTYPE_FD_READ, fd);
    s[1] = clock_sub(3, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
    poll_print("file read+clock", s, 2);
    s[0] = fd_sub(2, __WASI_EVENTTYPE_FD_WRITE, fd);
    poll_print("file write+clock", s, 2);
    /* (Both at once is left out: Wasmtime reports one or both, varying by run.) */
    s[0] = fd_sub(1, __WASI_EVENTTYPE_FD_READ, 1234);
    poll_print("closed fd", s, 1);
    __wasi_fd_close(fd);
    __wasi_path_unlink_file(SB_FD, "polled");

    /* stdin: the test pipes a few lines in and closes the pipe. */
    t0 = mono();
    s[0] = fd_sub(5, __WASI_EVENTTYPE_FD_READ, 0);
    s[1] = clock_sub(6, __WASI_CLOCKID_MONOTONIC, 20000000000ull, 0);
    poll_print("stdin readable", s, 2);
    char buf[64];
    __wasi_iovec_t iv = {(uint8_t *)buf, sizeof buf};
    size_t total = 0;
    for (;;) {
        __wasi_size_t got = 0;
        if (__wasi_fd_read(0, &iv, 1, &got) || got == 0) break;
        total += got;
    }
    printf("  stdin bytes=%zu\n", total);
    s[0] = fd_sub(5, __WASI_EVENTTYPE_FD_READ, 0);
    poll_print_h("stdin at eof", s, 1, 1);
    /* stdout is writable. */
    s[0] = fd_sub(4, __WASI_EVENTTYPE_FD_WRITE, 1);
    poll_print("stdout writable", s, 1);
    return 0;
}
