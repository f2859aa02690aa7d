/* Plain C compiled by goc cc, alone (-c) and beside a .goc file: the same
 * warnings as $CC gives it, and no error (goc's channel type check and
 * other flags for lowered C do not reach it). Both conversions are
 * warnings in C; clang counts the first among -Wincompatible-pointer-types,
 * the flag of the directional channel check. */
int plain_discards(void) {
  const int k = 1;
  int *r = &k;
  long l = 2;
  int *p = &l;
  return *r + (p != 0);
}
