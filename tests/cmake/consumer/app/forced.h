/* Included into every file of the target by -include (a compile option),
 * and without an include guard: the lowered C must not hold it twice. */
struct forced_scale { int by; };
#define FORCED_ONE 1
