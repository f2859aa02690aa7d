/* pprof.h — a profile in pprof's profile.proto model, built in memory and
 * written gzipped (what `go tool pprof` and `pprof` read). Internal to
 * libgoc; the goroutine and block profiles (profile.c, blockprof.c) fill
 * one and write it, or print Go's text forms from its tables.
 *
 * Invariants:
 *   - Frames are .goc frames: a function name, a .goc file and a line, all
 *     string literals of the lowered code that outlive the program's
 *     profiles, so the builder stores the pointers, never copies.
 *   - One Function per distinct (name, file) by content (two translation
 *     units' copies of one literal are one function), one Location per
 *     distinct (function, line); ids are 1-based indexes in creation order,
 *     stable for the builder's life, so text output can name a location by
 *     its id where Go prints a PC.
 *   - One Sample per distinct stack (the sequence of location ids,
 *     innermost first); adding a stack again adds to its values.
 *   - Out of memory never fails the program: the builder marks itself
 *     failed, drops what it cannot store, and goc__pprof_write reports -1.
 */
#ifndef GOC_PPROF_H
#define GOC_PPROF_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GOC_PPROF_MAXV 2       /* values per sample (block: count, delay) */
#define GOC_PPROF_MAXDEPTH 64  /* frames kept per stack, innermost first */

typedef struct goc_pframe {
  const char *func, *file;
  int32_t line;
} goc_pframe;

typedef struct goc_pprof_loc {
  uint32_t fn;                 /* function id */
  int32_t line;
  uint64_t hash;
} goc_pprof_loc;

typedef struct goc_pprof_fn {
  const char *name, *file;
  uint64_t hash;
} goc_pprof_fn;

typedef struct goc_pprof_sample {
  uint32_t *loc;               /* location ids, innermost first */
  int32_t nloc;
  int64_t v[GOC_PPROF_MAXV];
  uint64_t hash;
} goc_pprof_sample;

/* An open-addressing index of 1-based ids into one of the arrays. */
typedef struct goc_pprof_index {
  uint32_t *slot;              /* 0: empty */
  size_t cap;
} goc_pprof_index;

typedef struct goc_pprof {
  const char *type[GOC_PPROF_MAXV], *unit[GOC_PPROF_MAXV];
  int nvalues;
  const char *period_type, *period_unit;
  int64_t period;
  goc_pprof_fn *fn;
  size_t nfn, capfn;
  goc_pprof_loc *loc;
  size_t nloc, caploc;
  goc_pprof_sample *sample;
  size_t nsample, capsample;
  goc_pprof_index fnix, locix, sampleix;
  bool failed;
} goc_pprof;

/* Sample types: nvalues (type, unit) pairs; the period type and period, as
 * Go writes them for the profile. */
void goc__pprof_init(goc_pprof *p, int nvalues, const char *const *types,
                     const char *const *units, const char *period_type,
                     const char *period_unit, int64_t period);
void goc__pprof_free(goc_pprof *p);
/* Adds v[0..nvalues) to the sample of stack f[0..n) (innermost first). */
void goc__pprof_add(goc_pprof *p, const goc_pframe *f, int n, const int64_t *v);
/* The frame behind location id (1-based). */
goc_pframe goc__pprof_frame(const goc_pprof *p, uint32_t id);
/* profile.proto, gzipped, to out; time_nanos is the wall clock now. 0 on
 * success, -1 if the builder failed or writing did. */
int goc__pprof_write(goc_pprof *p, FILE *out);
/* Sample indexes, by v[value] most first as Go sorts its text profiles
 * (ties in the order the stacks were first seen); malloc'd, NULL when out
 * of memory. */
uint32_t *goc__pprof_order(const goc_pprof *p, int value);
/* Go's debug=1 text for one sample, after its values: " @ 0x1 0x2\n",
 * then "#\t0x1\tfunc+0x0\tfile:line\n" per frame and an empty line. The
 * hex numbers are location ids: .goc frames have no program counters. */
void goc__pprof_text_stack(const goc_pprof *p, const goc_pprof_sample *s, FILE *out);
#endif
