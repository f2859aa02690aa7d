/* idmap.c — the growing and freeing of idmap.h's tables. */
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "idmap.h"

void idmap_grow(idmap *m) {
  idmap n = {NULL, NULL, m->cap ? 2 * m->cap : 1024, m->count};
  n.key = xcalloc(n.cap, sizeof *n.key);
  n.val = xcalloc(n.cap, sizeof *n.val);
  for (uint32_t i = 0; i < m->cap; i++) {
    if (!m->key[i]) continue;
    uint32_t h = idmap_bucket(&n, m->key[i]);
    n.key[h] = m->key[i];
    n.val[h] = m->val[i];
  }
  free(m->key);
  free(m->val);
  *m = n;
}

void idmap_reserve(idmap *m, uint32_t n) {
  if (m->cap && 2 * (uint64_t)n <= m->cap) return;
  uint32_t cap = m->cap ? m->cap : 1024;
  while (2 * (uint64_t)n > cap) cap *= 2;
  if (!m->cap) {
    m->key = xcalloc(cap, sizeof *m->key);
    m->val = xcalloc(cap, sizeof *m->val);
    m->cap = cap;
    return;
  }
  while (m->cap < cap) idmap_grow(m);
}

void idmap_free(idmap *m) {
  free(m->key);
  free(m->val);
  *m = (idmap){0};
}

uint32_t strmap_bucket(const strmap *m, const char *key) {
  uint32_t h = strmap_hash(key) & (m->cap - 1);
  while (m->key[h] && strcmp(m->key[h], key)) h = (h + 1) & (m->cap - 1);
  return h;
}

void strmap_grow(strmap *m) {
  strmap n = {NULL, NULL, m->cap ? 2 * m->cap : 64, m->count};
  n.key = xcalloc(n.cap, sizeof *n.key);
  n.val = xcalloc(n.cap, sizeof *n.val);
  for (uint32_t i = 0; i < m->cap; i++) {
    if (!m->key[i]) continue;
    uint32_t h = strmap_bucket(&n, m->key[i]);
    n.key[h] = m->key[i];
    n.val[h] = m->val[i];
  }
  free(m->key);
  free(m->val);
  *m = n;
}

void strmap_free(strmap *m) {
  free(m->key);
  free(m->val);
  *m = (strmap){0};
}
