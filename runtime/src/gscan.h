/* gscan.h — copying another goroutine's .goc frames safely (gscan.c). */
#ifndef GOC_GSCAN_H
#define GOC_GSCAN_H

#include "pprof.h"
#include "proc.h"

#define GOC_SCAN_MAX 100   /* frames one copy keeps */

typedef struct goc_scan_stack {
  uint32_t status;       /* as the copy saw it */
  uint8_t wait_reason;   /* goc_wait_reason; GOC_WAIT_NONE when running */
  uint32_t wait_ms;      /* g->wait_ms, 0 when running */
  goc_pframe f[GOC_SCAN_MAX];   /* innermost first */
  int n;
  int64_t elided;   /* frames left out after the first `inner` */
} goc_scan_stack;

/* allglock plus the scan protocol; GOC_FOR_EACH_G may run between them. */
void goc__scan_lock(void);
void goc__scan_unlock(void);

/* Under goc__scan_lock (or g == self): copies g's status and wait fields,
 * its innermost `inner` frames and, of a deeper chain, its outermost
 * `outer` ones (inner + outer <= GOC_SCAN_MAX), as Go's traceback keeps 50
 * and 50. Returns the count, or -1 when g's frames cannot be read (it runs
 * on another thread or in a system call, is not live, or the kernel lacks
 * membarrier; the wait fields are copied for a system call). */
int goc__scan_g(goc_g *g, goc_g *self, goc_scan_stack *out, int inner, int outer);

#endif
