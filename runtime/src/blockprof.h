/* blockprof.h — GOC_BLOCKPROFILE=FILE: total time goroutines spent blocked,
 * per .goc site (the file:line where the innermost frame suspended), written
 * when the program exits, most blocked first.
 *
 * Invariants:
 *   - Unset, each hook is one load of goc__blockprof_on and a branch.
 *   - A block is measured from the park commit to goc__ready; goroutines
 *     still blocked at exit are not counted.
 */
#ifndef GOC_BLOCKPROF_H
#define GOC_BLOCKPROF_H
#include <stdbool.h>
#include <stdint.h>

extern bool goc__blockprof_on;
void goc__blockprof_init(void);
/* A G blocked at file:line from `since` (goc_now) until now. */
void goc__blockprof_add(const char *file, int line, int64_t since);
void goc__blockprof_flush(void);
#endif
