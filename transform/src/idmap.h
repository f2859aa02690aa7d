/* idmap.h — a map from nonzero word-sized keys (a syntax node's id, a byte
 * offset + 1) to word-sized values, for the transformer's memo tables:
 * open addressing with linear probing, grown to twice its size when half
 * full, never shrunk. The probe is inline: the lowering asks these tables
 * at every node of every expression. */
#ifndef GOC_IDMAP_H
#define GOC_IDMAP_H

#include <stdint.h>

typedef struct idmap {
  uintptr_t *key;   /* 0: an empty bucket */
  uintptr_t *val;
  uint32_t cap, count;   /* cap: 0 or a power of two */
} idmap;

static inline uint32_t idmap_bucket(const idmap *m, uintptr_t key) {
  /* Fibonacci hashing: the product's top bits, which every bit of the key
     moves (pointers and offsets alike; the middle bits made runs of
     neighbouring buckets for a tree's node ids) */
  uint64_t x = (uint64_t)key * 0x9E3779B97F4A7C15u;
  uint32_t h = (uint32_t)(x >> (64 - __builtin_ctz(m->cap)));
  while (m->key[h] && m->key[h] != key) h = (h + 1) & (m->cap - 1);
  return h;
}

/* key's value, or NULL when key is absent. */
static inline uintptr_t *idmap_find(const idmap *m, uintptr_t key) {
  if (!m->cap) return NULL;
  uint32_t h = idmap_bucket(m, key);
  return m->key[h] ? &m->val[h] : NULL;
}

void idmap_grow(idmap *m);   /* idmap.c */
void idmap_reserve(idmap *m, uint32_t n);   /* room for n keys without growing */

/* key's value, inserted as 0 when key was absent. Valid until the next
 * idmap_put. */
static inline uintptr_t *idmap_put(idmap *m, uintptr_t key) {
  if (2 * (m->count + 1) > m->cap) idmap_grow(m);
  uint32_t h = idmap_bucket(m, key);
  if (!m->key[h]) {
    m->key[h] = key;
    m->val[h] = 0;
    m->count++;
  }
  return &m->val[h];
}

void idmap_free(idmap *m);

/* A map from strings (NUL-terminated, owned by the caller and alive as
 * long as the map) to word-sized values, the same way. */
typedef struct strmap {
  const char **key;   /* NULL: an empty bucket */
  uintptr_t *val;
  uint32_t cap, count;
} strmap;

static inline uint32_t strmap_hash(const char *s) {
  uint32_t h = 2166136261u;   /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

uint32_t strmap_bucket(const strmap *m, const char *key);   /* idmap.c */
void strmap_grow(strmap *m);

static inline uintptr_t *strmap_find(const strmap *m, const char *key) {
  if (!m->cap) return NULL;
  uint32_t h = strmap_bucket(m, key);
  return m->key[h] ? &m->val[h] : NULL;
}

/* key's value, inserted as 0 when key was absent (the map keeps the
 * pointer). Valid until the next strmap_put. */
static inline uintptr_t *strmap_put(strmap *m, const char *key) {
  if (2 * (m->count + 1) > m->cap) strmap_grow(m);
  uint32_t h = strmap_bucket(m, key);
  if (!m->key[h]) {
    m->key[h] = key;
    m->val[h] = 0;
    m->count++;
  }
  return &m->val[h];
}

void strmap_free(strmap *m);

#endif
