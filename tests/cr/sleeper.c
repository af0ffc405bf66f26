// Sleeps in poll_oneoff; a checkpoint during the sleep must resume the
// remaining timeout, and monotonic time must never go backwards.
#include <stdio.h>
#include <time.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  long long start = now_ns();
  printf("sleeping\n");
  struct timespec req = {1, 500000000};
  nanosleep(&req, NULL);
  long long slept = now_ns() - start;
  printf("slept at least 1.5 s: %s\n", slept >= 1500000000LL ? "yes" : "no");
  printf("slept less than 3 s: %s\n", slept < 3000000000LL ? "yes" : "no");
  return 0;
}
