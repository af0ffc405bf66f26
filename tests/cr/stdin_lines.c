// Reads stdin line by line; a checkpoint taken while it is blocked in fd_read
// must resume the read on the restored side.
#include <stdio.h>
#include <string.h>

int main(void) {
  setvbuf(stdin, NULL, _IONBF, 0);
  setvbuf(stdout, NULL, _IONBF, 0);
  char line[256];
  unsigned n = 0, total = 0;
  while (fgets(line, sizeof line, stdin)) {
    total += (unsigned)strlen(line);
    printf("got %u: %s", ++n, line);
  }
  printf("eof after %u lines, %u bytes\n", n, total);
  return 0;
}
