/* sock_accept, sock_recv, sock_send and sock_shutdown on a TCP listener the
 * host hands in (tern: --tcplisten ADDR, Wasmtime: -S tcplisten=ADDR), and
 * poll_oneoff readiness of the listener and the connection, including a
 * timeout while the connection has no data. The test's client follows this
 * protocol:
 *   client: connect                  guest: accept; poll conn (50 ms timeout)
 *   guest:  "ready\n"                client: reads it, sends "hello world\n"
 *   guest:  peek + recv the line     guest: "echo: hello world\n"; shutdown(WR)
 *   client: reads to EOF, sends "bye\n", closes
 *   guest:  recv to EOF
 * The client's transcript is compared too. */
#include "common.h"

static __wasi_subscription_t sub(__wasi_userdata_t ud, __wasi_eventtype_t type, __wasi_fd_t fd,
                                 __wasi_timestamp_t timeout) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = ud;
    s.u.tag = type;
    if (type == __WASI_EVENTTYPE_CLOCK) {
        s.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
        s.u.u.clock.timeout = timeout;
    } else {
        s.u.u.fd_read.file_descriptor = fd;
    }
    return s;
}

/* Waits for `fd` to become readable or `timeout` ns; prints what fired. */
static void wait_readable(const char *label, __wasi_fd_t fd, __wasi_timestamp_t timeout) {
    __wasi_subscription_t s[2] = {sub(1, __WASI_EVENTTYPE_FD_READ, fd, 0),
                                  sub(2, __WASI_EVENTTYPE_CLOCK, 0, timeout)};
    __wasi_event_t ev[2];
    __wasi_size_t n = 0;
    __wasi_errno_t e = __wasi_poll_oneoff(s, ev, 2, &n);
    printf("%s: %s nevents=%lu", label, errname(e), n);
    for (__wasi_size_t i = 0; i < n && !e; i++)
        printf(" [%s %s]", ev[i].userdata == 1 ? "fd" : "clock", errname(ev[i].error));
    printf("\n");
}

static __wasi_errno_t send_str(__wasi_fd_t fd, const char *text) {
    __wasi_ciovec_t v = {(const uint8_t *)text, strlen(text)};
    __wasi_size_t n = 0;
    __wasi_errno_t e = __wasi_sock_send(fd, &v, 1, 0, &n);
    printf("sock_send %zu bytes: %s sent=%lu\n", strlen(text), errname(e), n);
    return e;
}

/* Receives until `stop` (a byte) or EOF; returns the byte count. */
static size_t recv_until(__wasi_fd_t fd, char *buf, size_t cap, int stop) {
    size_t len = 0;
    while (len < cap) {
        __wasi_iovec_t v = {(uint8_t *)buf + len, cap - len};
        __wasi_size_t n = 0;
        __wasi_roflags_t flags = 0;
        __wasi_errno_t e = __wasi_sock_recv(fd, &v, 1, 0, &n, &flags);
        if (e) {
            printf("sock_recv: %s\n", errname(e));
            break;
        }
        if (n == 0) break;
        len += n;
        if (stop >= 0 && memchr(buf + len - n, stop, n)) break;
    }
    return len;
}

int main(void) {
    __wasi_fd_t listener = (__wasi_fd_t)-1;
    for (__wasi_fd_t fd = 3; fd < 16; fd++) {
        __wasi_fdstat_t st;
        if (__wasi_fd_fdstat_get(fd, &st) == 0 && st.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM) {
            listener = fd;
            break;
        }
    }
    if (listener == (__wasi_fd_t)-1) {
        printf("no listening socket handed in\n");
        return 1;
    }
    printf("listener found\n");
    __wasi_fd_t conn;
    wcheck("sock_accept not a socket", __wasi_sock_accept(1, 0, &conn));
    wcheck("sock_accept bad fd", __wasi_sock_accept(77, 0, &conn));
    wait_readable("poll listener", listener, 20000000000ull);
    if (wcheck("sock_accept", __wasi_sock_accept(listener, 0, &conn))) return 1;
    __wasi_fdstat_t st;
    __wasi_fd_fdstat_get(conn, &st);
    printf("  connection filetype=%u\n", st.fs_filetype);
    /* Whether accept waits is the listener's NONBLOCK flag (`flags` are the new fd's). */
    wcheck("listener nonblocking", __wasi_fd_fdstat_set_flags(listener, __WASI_FDFLAGS_NONBLOCK));
    __wasi_fd_t second;
    wcheck("sock_accept again nonblocking", __wasi_sock_accept(listener, 0, &second));
    wait_readable("poll idle connection 50ms", conn, 50000000ull);
    send_str(conn, "ready\n");
    wait_readable("poll connection", conn, 20000000000ull);
    char buf[256];
    __wasi_iovec_t v = {(uint8_t *)buf, 5};
    __wasi_size_t n = 0;
    __wasi_roflags_t ro = 0;
    wcheck("sock_recv peek", __wasi_sock_recv(conn, &v, 1, __WASI_RIFLAGS_RECV_PEEK, &n, &ro));
    printf("  peeked %lu '%.*s'\n", n, (int)n, buf);
    size_t len = recv_until(conn, buf, sizeof buf, '\n');
    printf("received %zu '%.*s'\n", len, (int)(len ? len - 1 : 0), buf);
    char reply[300];
    snprintf(reply, sizeof reply, "echo: %.*s", (int)len, buf);
    send_str(conn, reply);
    wcheck("sock_shutdown bad how", __wasi_sock_shutdown(conn, 0));
    wcheck("sock_shutdown wr", __wasi_sock_shutdown(conn, __WASI_SDFLAGS_WR));
    len = recv_until(conn, buf, sizeof buf, -1);
    printf("received to eof %zu '%.*s'\n", len, (int)(len ? len - 1 : 0), buf);
    wcheck("sock_shutdown rd", __wasi_sock_shutdown(conn, __WASI_SDFLAGS_RD));
    wcheck("sock_send not a socket", __wasi_sock_send(1, (const __wasi_ciovec_t *)&v, 1, 0, &n));
    wcheck("sock_recv not a socket", __wasi_sock_recv(1, &v, 1, 0, &n, &ro));
    wcheck("sock_recv bad fd", __wasi_sock_recv(77, &v, 1, 0, &n, &ro));
    wcheck("sock_shutdown bad fd", __wasi_sock_shutdown(77, __WASI_SDFLAGS_WR));
    wcheck("fd_close connection", __wasi_fd_close(conn));
    return 0;
}
