// A growing heap: memory.grow during the run, pointers into it kept in locals.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node { struct node *next; unsigned value; char pad[200]; };

int main(void) {
  struct node *head = NULL;
  unsigned long sum = 0;
  for (unsigned i = 0; i < 6000; i++) {
    struct node *n = malloc(sizeof *n);
    memset(n->pad, (int)(i & 0xff), sizeof n->pad);
    n->value = i * 7 + (unsigned)n->pad[3];
    n->next = head;
    head = n;
    if (i % 1000 == 0) {
      char *big = malloc(64 * 1024);
      memset(big, 1, 64 * 1024);
      sum += big[100];
      printf("i=%u sum=%lu\n", i, sum);
    }
  }
  for (struct node *n = head; n; n = n->next) sum += n->value;
  printf("sum %lu\n", sum);
  return 0;
}
