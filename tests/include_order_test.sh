#!/usr/bin/env bash
# A quoted #include in a .goc finds the header beside the .goc first, as
# gcc does for a .c, even when the build runs in a directory that holds a
# header of that name (git's reftable/tree.c and git's own tree.h, built
# from git's top directory): plain headers, and headers with a `<-` in a
# macro (which the front end premarks in an overlay), each from the top
# directory with -I. as git's Makefile passes it.
# Usage: include_order_test.sh GOC
set -u
goc=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-include-order-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sub"
cd "$work" || exit 1
echo 'static int which = 1;   /* the top directory'"'"'s: wrong */' > tree.h
echo '#define TAKE(c) (<-(c) * 100)' > recv.h
echo 'static int which = 2;' > sub/tree.h
echo '#define TAKE(c) (<-(c))' > sub/recv.h
cat > sub/main.goc <<'GOC'
#include <stdio.h>
#include "tree.h"
int main(void) { printf("which %d\n", which); return 0; }
GOC
cat > sub/chan.goc <<'GOC'
#include <stdio.h>
#include "recv.h"
#include "tree.h"
static int get(chan(int) c) { return TAKE(c); }
int main(void) {
  chan(int) c = chan_make(int, 1);
  c <- 3;
  printf("which %d got %d\n", which, get(c));
  return 0;
}
GOC
fails=0
for t in main chan; do
  want=$([ $t = main ] && echo "which 2" || echo "which 2 got 3")
  if ! "$goc" cc -I. sub/$t.goc -o $t 2> $t.err; then
    echo "FAIL: sub/$t.goc did not build"; cat $t.err; fails=1; continue
  fi
  got=$(./$t)
  [ "$got" = "$want" ] || { echo "FAIL: sub/$t.goc printed '$got', want '$want'"; fails=1; }
done
[ $fails = 0 ] && echo ok
exit $fails
