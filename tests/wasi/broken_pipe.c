/* Writes to stdout until a write fails (the test closes the reading end
 * after the first bytes), then reports the error on stderr and exits 3: a
 * guest must see the failure instead of being killed by SIGPIPE. */
#include "common.h"
#include <unistd.h>

int main(void) {
    char buf[4096];
    memset(buf, 'y', sizeof buf);
    for (long i = 0; i < 1000000; i++) {
        if (write(1, buf, sizeof buf) < 0) {
            fprintf(stderr, "write failed: %s\n", errname(errno));
            return 3;
        }
    }
    fprintf(stderr, "no write failed\n");
    return 0;
}
