/* For the CLI tests (not compared with a native build): prints argv[0], an
 * environment variable, and copies stdin to stdout with a line count. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    const char *greeting = getenv("GREETING");
    printf("argc=%d argv0=%s\n", argc, argv[0]);
    printf("GREETING=%s\n", greeting ? greeting : "(unset)");
    char line[256];
    int lines = 0;
    while (fgets(line, sizeof line, stdin)) {
        lines++;
        printf("stdin: %s", line);
    }
    printf("lines=%d\n", lines);
    return lines;
}
