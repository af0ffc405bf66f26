/* Minimal stand-in for the tern runtime, for the compiler's execution tests.
 * Supports modules without imports: one defined memory (32-bit), defined
 * globals, one funcref table. The test generates `config.h` with the layout
 * (from tern_environ::VmOffsets) and the calls to make. Every call runs under
 * sigsetjmp: traps (builtin or guard-page SIGSEGV) print "trap N". */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef struct {
  uint64_t version;
  const uint8_t *metadata;
  uint64_t metadata_len;
  void *const *functions;
  uint64_t num_functions;
  void *const *trampolines;
  uint64_t num_types;
  const uint8_t *const *stackmaps; /* --cr only; unused here */
} desc_t;
typedef struct { void *native; void *array_call; void *vmctx; uint64_t type_id; } funcref_t;
typedef struct { uint8_t *base; uint64_t length; } memdef_t;
typedef struct { void **base; uint64_t length; } tabledef_t;
typedef void (*tramp_t)(void *, void *, void *);
struct call { int func; int nargs; uint64_t args[8]; int nres; int ressz[8]; };

#include "config.h"

extern const desc_t tern_m0_module_descriptor;
static uint8_t vmctx[VMCTX_SIZE] __attribute__((aligned(16)));
static memdef_t memory;
static tabledef_t table;
static void *table_elems[1024];
static funcref_t funcrefs[NUM_FUNCS + 1];
static uint8_t globals[NUM_GLOBALS + 1][16];
static sigjmp_buf jb;

#define FIELD(T, off) (*(T *)(vmctx + (off)))

void tern_builtin_trap(void *vm, int code) { (void)vm; siglongjmp(jb, code); }
int64_t tern_builtin_memory_grow(void *vm, int mem, int64_t delta) {
  (void)vm; (void)mem;
  uint64_t old = memory.length >> 16;
  if (old + (uint64_t)delta > 65536) return -1;
  mprotect(memory.base, (old + delta) << 16, PROT_READ | PROT_WRITE);
  memory.length = (old + delta) << 16;
  return (int64_t)old;
}
void tern_builtin_memory_fill(void *vm, int mem, uint64_t dst, int val, uint64_t len) {
  (void)vm; (void)mem;
  if (dst + len > memory.length) siglongjmp(jb, 2);
  memset(memory.base + dst, val, len);
}
void tern_builtin_memory_copy(void *vm, int dm, int sm, uint64_t dst, uint64_t src, uint64_t len) {
  (void)vm; (void)dm; (void)sm;
  if (dst + len > memory.length || src + len > memory.length) siglongjmp(jb, 2);
  memmove(memory.base + dst, memory.base + src, len);
}
int64_t tern_builtin_table_grow(void *vm, int t, void *init, int64_t delta) {
  (void)vm; (void)t;
  uint64_t old = table.length;
  if (old + delta > 1024) return -1;
  for (uint64_t i = old; i < old + delta; i++) table_elems[i] = init;
  table.length = old + delta;
  return (int64_t)old;
}

static void on_segv(int sig, siginfo_t *info, void *ctx) {
  (void)sig; (void)info; (void)ctx;
  siglongjmp(jb, 2);
}

int main(void) {
  static uint8_t altstack[65536];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
  sigaltstack(&ss, NULL);
  struct sigaction sa = {0};
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);

  const desc_t *d = &tern_m0_module_descriptor;
  if (d->version != 4) { printf("bad version\n"); return 1; }
  int local;
  FIELD(uint64_t, 8) = (uint64_t)(uintptr_t)&local - STACK_BUDGET;
  FIELD(uint64_t, 24) = FIELD(uint64_t, 8); /* leaf_stack_limit (--cr leaves) */
#if HAS_MEMORY
  memory.base = mmap(NULL, (8ull << 30) + (64 << 10), PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  mprotect(memory.base, MEMORY_PAGES << 16, PROT_READ | PROT_WRITE);
  memory.length = MEMORY_PAGES << 16;
  FIELD(void *, MEMORY_BASE) = memory.base;
  FIELD(void *, MEMORY_DEFINITION) = &memory;
#endif
  for (int g = 0; g < NUM_GLOBALS; g++) {
    memcpy(globals[g], &global_inits[g], 8);
    FIELD(void *, GLOBALS_BEGIN + 8 * g) = globals[g];
  }
  for (int t = 0; t < NUM_TYPES; t++) FIELD(uint32_t, TYPE_IDS_BEGIN + 4 * t) = canonical_types[t];
  for (int f = 0; f < NUM_FUNCS; f++) {
    funcrefs[f] = (funcref_t){d->functions[f], d->trampolines[func_types[f]], vmctx,
                              canonical_types[func_types[f]]};
    FIELD(void *, FUNCREFS_BEGIN + 8 * f) = &funcrefs[f];
  }
#if HAS_TABLE
  table.base = table_elems;
  table.length = TABLE_SIZE;
  for (int i = 0; i < NUM_ELEMS; i++) table_elems[elems[i].at] = &funcrefs[elems[i].func];
  FIELD(void *, TABLES_BEGIN) = &table;
#endif
  for (unsigned c = 0; c < sizeof calls / sizeof calls[0]; c++) {
    const struct call *k = &calls[c];
    uint8_t values[16 * 8] __attribute__((aligned(16)));
    memset(values, 0, sizeof values);
    for (int i = 0; i < k->nargs; i++) memcpy(values + 16 * i, &k->args[i], 8);
    int code = sigsetjmp(jb, 0);
    if (code) { printf("trap %d\n", code); continue; }
    ((tramp_t)d->trampolines[func_types[k->func]])(d->functions[k->func], vmctx, values);
    for (int i = 0; i < k->nres; i++) {
      uint64_t v = 0;
      memcpy(&v, values + 16 * i, k->ressz[i]);
      printf(i ? " %llx" : "%llx", (unsigned long long)v);
    }
    printf("\n");
  }
  return 0;
}
