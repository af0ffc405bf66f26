// Integer bit manipulation: table-driven CRC-32 over a generated buffer.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  int mb = argc > 1 ? atoi(argv[1]) : 48;
  uint32_t table[256];
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  size_t n = (size_t)mb << 20;
  uint8_t *buf = malloc(n);
  uint32_t x = 12345;
  for (size_t i = 0; i < n; i++) { x = x * 1103515245u + 12345u; buf[i] = (uint8_t)(x >> 16); }
  uint32_t crc = 0xFFFFFFFFu;
  for (int rep = 0; rep < 4; rep++)
    for (size_t i = 0; i < n; i++) crc = table[(crc ^ buf[i]) & 0xFF] ^ (crc >> 8);
  printf("crc %08x\n", crc ^ 0xFFFFFFFFu);
  return 0;
}
