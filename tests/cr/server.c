// A line server on the listener the host hands in as fd 3 (--tcplisten):
// for each of N connections (argv[1]), accept, read one line, send it back
// upper-cased and close. A checkpoint while it waits (in sock_accept, or in
// sock_recv on a connection) restores with a new listener (--tcplisten
// again) on the other ISA; a connection open at the checkpoint is closed
// after the restore, so that read sees end-of-file.
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <wasi/api.h>

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int n = argc > 1 ? atoi(argv[1]) : 1;
  printf("listening\n");
  for (int i = 1; i <= n; i++) {
    __wasi_fd_t conn;
    __wasi_errno_t e = __wasi_sock_accept(3, 0, &conn);
    if (e) {
      printf("sock_accept: errno %d\n", e);
      return 1;
    }
    char line[128];
    size_t len = 0;
    while (len < sizeof line) {
      __wasi_iovec_t v = {(uint8_t *)line + len, sizeof line - len};
      __wasi_size_t got = 0;
      __wasi_roflags_t flags = 0;
      if (__wasi_sock_recv(conn, &v, 1, 0, &got, &flags) || got == 0) break;
      len += got;
      if (line[len - 1] == '\n') break;
    }
    for (size_t j = 0; j < len; j++) line[j] = (char)toupper((unsigned char)line[j]);
    __wasi_ciovec_t out = {(const uint8_t *)line, len};
    __wasi_size_t sent = 0;
    // A connection closed by the restore refuses the reply (EPIPE); the
    // server goes on either way.
    if (len && __wasi_sock_send(conn, &out, 1, 0, &sent)) printf("sock_send failed\n");
    if (__wasi_fd_close(conn)) printf("fd_close failed\n");
    if (len && line[len - 1] == '\n') len--;
    printf("served %d: [%.*s]\n", i, (int)len, line);
  }
  return 0;
}
