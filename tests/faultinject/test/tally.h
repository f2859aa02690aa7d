/* tally.h — the package tally_test.goc tests. */
#include <stdint.h>
int64_t tally_sum(chan(int) in);
