/* Strings and bulk memory: snprintf/strtol round trips, memmove overlaps
 * (memory.copy), memset (memory.fill), and a word-frequency hash table. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char text[] =
    "the quick brown fox jumps over the lazy dog and the dog sleeps while the fox "
    "runs over the hill and far away the end of the story is near the quick end";

struct entry { char word[16]; int count; struct entry *next; };

static uint32_t hash(const char *s) {
    uint32_t h = 2166136261u;
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static int by_count(const void *a, const void *b) {
    const struct entry *x = *(struct entry *const *)a, *y = *(struct entry *const *)b;
    if (x->count != y->count) return y->count - x->count;
    return strcmp(x->word, y->word);
}

int main(int argc, char **argv) {
    char buf[256];
    for (int i = 1; i < argc; i++) {
        char *end;
        long v = strtol(argv[i], &end, 0);
        snprintf(buf, sizeof buf, "[%s] -> %ld (0x%x, rest \"%s\")", argv[i], v, (unsigned)v, end);
        printf("%s\n", buf);
    }
    int n = snprintf(buf, 10, "%s", "truncated output here");
    printf("snprintf returned %d, kept \"%s\"\n", n, buf);

    /* memmove with overlapping regions in both directions. */
    char m[64];
    strcpy(m, "0123456789abcdefghijklmnopqrstuvwxyz");
    memmove(m + 5, m, 20);
    printf("memmove fwd: %s\n", m);
    memmove(m, m + 7, 20);
    printf("memmove back: %s\n", m);
    static uint8_t big[1 << 20];
    memset(big, 0x5a, sizeof big);
    memset(big + 1000, 0, 5000);
    memcpy(big + 100000, big + 500, 10000);
    uint32_t sum = 0;
    for (size_t i = 0; i < sizeof big; i++) sum = sum * 31 + big[i];
    printf("bulk checksum %08x\n", sum);

    /* Word frequencies. */
    struct entry *table[64] = {0}, *all[128];
    int distinct = 0;
    const char *p = text;
    while (*p) {
        while (*p && !isalpha((unsigned char)*p)) p++;
        int len = 0;
        char w[16];
        while (isalpha((unsigned char)*p)) {
            if (len < 15) w[len++] = (char)toupper((unsigned char)*p);
            p++;
        }
        if (!len) continue;
        w[len] = 0;
        uint32_t h = hash(w) % 64;
        struct entry *e = table[h];
        while (e && strcmp(e->word, w)) e = e->next;
        if (!e) {
            e = calloc(1, sizeof *e);
            strcpy(e->word, w);
            e->next = table[h];
            table[h] = e;
            all[distinct++] = e;
        }
        e->count++;
    }
    qsort(all, distinct, sizeof all[0], by_count);
    printf("distinct words: %d\n", distinct);
    for (int i = 0; i < distinct && i < 8; i++) printf("%-6s %d\n", all[i]->word, all[i]->count);

    /* Reverse words in place. */
    char s[] = "alpha beta gamma delta epsilon";
    size_t L = strlen(s);
    for (size_t i = 0; i < L / 2; i++) { char t = s[i]; s[i] = s[L - 1 - i]; s[L - 1 - i] = t; }
    printf("reversed: %s\n", s);
    char *tok = strtok(s, " ");
    int words = 0;
    while (tok) { words++; tok = strtok(NULL, " "); }
    printf("words: %d strstr: %s\n", words, strstr(text, "lazy") ? "found" : "missing");
    return distinct;
}
