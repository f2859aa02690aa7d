/* profile_env.h — bench/cost.sh's switch, shared by the goc benchmarks that
 * it measures: GOBENCH_PROFILE=RATE[:FRACTION] turns the block and mutex
 * profiles on, as the Go twins do (bench/go/internal/profenv) with
 * runtime.SetBlockProfileRate and SetMutexProfileFraction. */
#include <stdlib.h>
#include <string.h>

static inline void profile_from_env(void) {
  const char *e = getenv("GOBENCH_PROFILE");
  if (!e || !*e) return;
  const char *f = strchr(e, ':');
  goc_set_block_profile_rate(atoll(e));
  goc_set_mutex_profile_fraction(f ? atoi(f + 1) : atoi(e));
}
