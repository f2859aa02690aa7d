/* arena.c — the LIFO frame arena of a goroutine.
 *
 * Invariants:
 *   - A G's arena is a list of chunks, newest first; the oldest is chunk0,
 *     the G's own chunk0_data (goc__chunk0_size(g) bytes, no header), so
 *     an idle goroutine costs sizeof(goc_g) and its chunk0. The G does not
 *     name its current chunk: goc__arena_base(h) is chunk0_data or the data
 *     of the chunk (current()), so the G spends no field on what the head
 *     already says.
 *   - h->arena_ptr/end/size always describe the current chunk; a chunk's
 *     prev_ptr is the bump pointer of the chunk below it (chunk0's too) at
 *     the time it was pushed.
 *   - Pointers handed out are 16-byte aligned (chunk data is aligned and
 *     sizes are rounded).
 *   - A step's locals follow its frame in the frame's chunk, or begin the
 *     chunk right above it (goc__locals_push): frames do not point to
 *     them.
 *   - Freed chunks of GOC_CHUNK_SIZE go to gx->spare (one; only a G that
 *     outgrew chunk0 has them, and a cold part costs it little next to a
 *     chunk), then to the current P's cache (owner-only, bounded), then to
 *     free().
 */
#include <stdlib.h>
#include "proc.h"

#define CHUNK_HDR sizeof(goc_chunk)
#define CHUNK_CACHE_MAX 64

static inline char *chunk_data(goc_chunk *c) { return (char *)(c + 1); }

/* The current chunk; NULL: chunk0. */
static goc_chunk *current(goc_g *g) {
  char *base = goc__arena_base(GOC_G(g));
  return base == g->chunk0_data ? NULL : (goc_chunk *)base - 1;
}

static void set_current(goc_g *g, goc_chunk *c, char *ptr) {
  goc_g_head *h = GOC_G(g);
  if (c) {
    h->arena_end = chunk_data(c) + c->size;
    h->arena_size = (uint32_t)c->size;
  } else {
    h->arena_end = g->chunk0_data + goc__chunk0_size(g);
    h->arena_size = (uint32_t)goc__chunk0_size(g);
  }
  h->arena_ptr = ptr;
}

/* Called once per G allocation (and on reuse). */
void goc__arena_init(goc_g *g) {
  _Static_assert(sizeof(goc_chunk) % 16 == 0, "chunk header alignment");
  _Static_assert(GOC_CHUNK0_STEP % 16 == 0 && sizeof(goc_g) % 16 == 0, "chunk0 alignment");
  set_current(g, NULL, g->chunk0_data);
}

static goc_chunk *chunk_alloc(goc_g *g, size_t n) {
  _Static_assert(GOC_CHUNK_SIZE - CHUNK_HDR > GOC_GCLASSES * GOC_CHUNK0_STEP,
                 "goc__gfput tells chunk0 from the others by its size");
  if (n <= GOC_CHUNK_SIZE - CHUNK_HDR) {
    goc_chunk *c = g->x ? g->x->spare : NULL;
    if (c) { g->x->spare = NULL; return c; }
    goc_p *p = goc__lockp();
    if (p && p->chunkfree) {
      c = p->chunkfree;
      p->chunkfree = c->prev;
      p->chunkfreecnt--;
      goc__unlockp();
      return c;
    }
    goc__unlockp();
    c = aligned_alloc(16, GOC_CHUNK_SIZE);
    if (!c) goc__throw("out of memory allocating goroutine frames");
    c->size = GOC_CHUNK_SIZE - CHUNK_HDR;
    return c;
  }
  size_t sz = GOC_CHUNK_SIZE;
  while (sz - CHUNK_HDR < n) sz *= 2;
  if (sz - CHUNK_HDR > UINT32_MAX)   /* h->arena_size */
    goc__throw("goroutine frame too large (4 GiB or more)");
  goc_chunk *c = aligned_alloc(16, sz);
  if (!c) goc__throw("out of memory allocating goroutine frames");
  c->size = sz - CHUNK_HDR;
  return c;
}

static void chunk_free(goc_p *p, goc_chunk *c) {
  if (c->size == GOC_CHUNK_SIZE - CHUNK_HDR && p &&
      p->chunkfreecnt < CHUNK_CACHE_MAX) {
    c->prev = p->chunkfree;
    p->chunkfree = c;
    p->chunkfreecnt++;
    return;
  }
  free(c);
}

/* g's owner (the M running g, or the thread that owns an unstarted g). */
void *goc__arena_push_slow(goc_g *g, size_t n) {
  goc_g_head *h = GOC_G(g);
  goc_chunk *c = chunk_alloc(g, n);
  c->prev_ptr = h->arena_ptr;
  c->prev = current(g);
  set_current(g, c, chunk_data(c) + n);
  return chunk_data(c);
}

/* g's owner. Pops whole chunks until p lies in the current one. */
void goc__arena_pop_slow(goc_g *g, void *p) {
  goc_g_head *h = GOC_G(g);
  char *q = p;
  while (!(q >= goc__arena_base(h) && q <= h->arena_end)) {
    goc_chunk *c = current(g);
    if (!c) goc__throw("goc__arena_pop: pointer not in the arena");
    set_current(g, c->prev, c->prev_ptr);
    if (c->size == GOC_CHUNK_SIZE - CHUNK_HDR && !goc__gx(g)->spare) g->x->spare = c;
    else {
      chunk_free(goc__lockp(), c);
      goc__unlockp();
    }
  }
  h->arena_ptr = q;
}

/* Releases every chunk but chunk0 (to p's cache if p != NULL). */
void goc__arena_free(goc_g *g, goc_p *p) {
  goc_chunk *c = current(g);
  while (c) {
    goc_chunk *prev = c->prev;
    chunk_free(p, c);
    c = prev;
  }
  if (g->x && g->x->spare) { chunk_free(p, g->x->spare); g->x->spare = NULL; }
  set_current(g, NULL, g->chunk0_data);
}

void goc__chunk_cache_drain(goc_p *p) {
  while (p->chunkfree) {
    goc_chunk *c = p->chunkfree;
    p->chunkfree = c->prev;
    free(c);
  }
  p->chunkfreecnt = 0;
}

/* goc__locals_push (goc_abi.h) when fr is not the newest push (a chunk
 * was pushed and emptied since) or its locals do not fit after it. */
void *goc__locals_push_slow(goc_g *g, goc_frame *fr, size_t frsize, size_t n) {
  goc__arena_pop(g, (char *)fr + GOC__ARENA_ROUND(frsize));
  return goc__arena_push(g, n);   /* after fr if they fit, else a new chunk */
}

/* goc__locals_at when fr is below the current chunk: find fr's chunk; the
 * locals follow fr there if they fit, else they begin the chunk above it
 * (goc__locals_push_slow let every chunk pushed before them go). */
void *goc__locals_at_slow(goc_g *g, goc_frame *fr, size_t frsize, size_t n) {
  char *f = (char *)fr, *at = f + GOC__ARENA_ROUND(frsize);
  goc_chunk *above = NULL;
  for (goc_chunk *c = current(g);; above = c, c = c->prev) {
    char *base = c ? chunk_data(c) : g->chunk0_data;
    char *end = c ? base + c->size : g->chunk0_data + goc__chunk0_size(g);
    if (f >= base && f < end) {
      if ((size_t)(end - at) >= n) return at;
      if (!above) break;
      return chunk_data(above);
    }
    if (!c) break;
  }
  goc__throw("goc__locals_at: frame not in its goroutine's arena");
}
