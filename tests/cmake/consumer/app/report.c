#include <stdio.h>

void report(const char *what, long v) { printf("%s: %ld\n", what, v); }
