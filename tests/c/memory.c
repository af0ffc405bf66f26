/* Memory growth: large malloc/calloc/realloc blocks (forcing memory.grow),
 * pattern writes and checksums, and freeing and reusing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t checksum(const uint8_t *p, size_t n) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 16;
    size_t blocks = 4;
    uint8_t *block[4];

    for (size_t b = 0; b < blocks; b++) {
        size_t n = mib << 20;
        block[b] = malloc(n);
        if (!block[b]) {
            printf("malloc of %zu MiB failed\n", mib);
            return 1;
        }
        for (size_t i = 0; i < n; i++)
            block[b][i] = (uint8_t)(i * 31 + b * 7 + (i >> 12));
        printf("block %zu: %zu MiB checksum %016llx\n", b, mib,
               (unsigned long long)checksum(block[b], n));
    }

    /* calloc of a big block must be zeroed. */
    size_t zn = 8u << 20;
    uint8_t *z = calloc(zn, 1);
    size_t nonzero = 0;
    for (size_t i = 0; i < zn; i++) nonzero += z[i] != 0;
    printf("calloc 8 MiB nonzero bytes: %zu\n", nonzero);

    /* realloc keeps contents while growing. */
    uint8_t *r = malloc(1000);
    for (int i = 0; i < 1000; i++) r[i] = (uint8_t)i;
    for (size_t n = 2000; n <= (4u << 20); n *= 2) {
        r = realloc(r, n);
        if (!r) {
            printf("realloc failed\n");
            return 1;
        }
        memset(r + n / 2, 0xAB, n / 2);
    }
    printf("realloc prefix checksum %016llx\n", (unsigned long long)checksum(r, 1000));
    free(r);

    /* Free everything and allocate again: the allocator must reuse memory. */
    for (size_t b = 0; b < blocks; b++) free(block[b]);
    free(z);
    for (int round = 0; round < 8; round++) {
        uint8_t *p = malloc(mib << 20);
        if (!p) {
            printf("round %d: malloc failed\n", round);
            return 1;
        }
        memset(p, round, mib << 20);
        printf("round %d: last byte %d\n", round, p[(mib << 20) - 1]);
        free(p);
    }

    /* Many small allocations, a linked list. */
    struct node { struct node *next; uint32_t value; } *head = NULL;
    for (uint32_t i = 0; i < 100000; i++) {
        struct node *n = malloc(sizeof *n);
        n->value = i * 2654435761u;
        n->next = head;
        head = n;
    }
    uint64_t sum = 0;
    while (head) {
        struct node *next = head->next;
        sum += head->value;
        free(head);
        head = next;
    }
    printf("list sum %llu\n", (unsigned long long)sum);
    return 0;
}
