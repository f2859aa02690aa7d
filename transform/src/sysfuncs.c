/* sysfuncs.c — the functions a source's system headers declare (libc,
 * libm), by name: what the lowering may call without giving it a frame
 * line (they do not call goc_panic), and which of them are libm's (short,
 * with no loop of their own the caller could not see: counted.c lets a
 * strip-mined loop call them).
 *
 * Invariant: one sorted table per source, collected on first use from the
 * preprocessed translation unit's declarations; a name declared in a
 * system header counts whatever other declarations it has. */
#include <stdlib.h>
#include <string.h>
#include "lower.h"

typedef struct collect_ctx {
  const source *s;
  sysfunc *v;
  int n;
} collect_ctx;

/* libm's declarations sit in math.h and the bits/mathcalls*.h it
 * includes (glibc), or in math.h itself (musl, BSDs). */
static bool file_is_libm(const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  return !strncmp(base, "math", 4);
}

TSNode declared_function_name(TSNode d) {
  while (!ts_node_is_null(d) && !node_is(d, "function_declarator") && !node_is(d, "identifier"))
    d = node_field(d, "declarator");
  if (ts_node_is_null(d) || !node_is(d, "function_declarator")) return (TSNode){0};
  TSNode id = node_field(d, "declarator");
  return node_is(id, "identifier") ? id : (TSNode){0};
}

static void collect(TSNode n, void *arg) {
  collect_ctx *cc = arg;
  if (!node_is(n, "declaration") || !node_in_system_header(n)) return;
  uint32_t c = ts_node_named_child_count(n);
  for (uint32_t i = 0; i < c; i++) {
    TSNode id = declared_function_name(ts_node_named_child(n, i));
    if (ts_node_is_null(id)) continue;
    cc->v = xrealloc(cc->v, sizeof(sysfunc) * (size_t)(cc->n + 1));
    cc->v[cc->n++] = (sysfunc){node_text(cc->s, id), file_is_libm(node_file(n))};
  }
}

static int cmp_name(const void *a, const void *b) { return strcmp(((const sysfunc *)a)->name, ((const sysfunc *)b)->name); }

static const sysfunc *lookup(const source *cs, const char *name) {
  source *s = (source *)cs;   /* the cache only */
  if (!s->sysfuncs) {
    collect_ctx cc = {s, NULL, 0};
    for_each_top_level(ts_tree_root_node(s->tree), collect, &cc);
    /* and those sysitems.c read without the tree */
    for (int i = 0; i < s->nsysdecls; i++) {
      cc.v = xrealloc(cc.v, sizeof(sysfunc) * (size_t)(cc.n + 1));
      cc.v[cc.n++] = (sysfunc){xstrdup(s->sysdecls[i].name), s->sysdecls[i].in_libm};
    }
    if (cc.n) qsort(cc.v, (size_t)cc.n, sizeof(sysfunc), cmp_name);
    s->sysfuncs = cc.v ? cc.v : xcalloc(1, sizeof(sysfunc));   /* non-NULL: collected */
    s->nsysfuncs = cc.n;
  }
  sysfunc key = {(char *)name, false};
  return s->nsysfuncs > 0 ? bsearch(&key, s->sysfuncs, (size_t)s->nsysfuncs, sizeof(sysfunc), cmp_name) : NULL;
}

bool declared_by_system_header(const source *s, const char *name) { return lookup(s, name) != NULL; }

bool declared_by_libm(const source *s, const char *name) {
  /* a name declared twice (a function and its macro's helper) counts as
     libm's if any of its system declarations is */
  const sysfunc *f = lookup(s, name);
  if (!f) return false;
  const sysfunc *lo = f, *hi = f, *end = s->sysfuncs + s->nsysfuncs;
  while (lo > s->sysfuncs && !strcmp(lo[-1].name, name)) lo--;
  while (hi + 1 < end && !strcmp(hi[1].name, name)) hi++;
  for (const sysfunc *p = lo; p <= hi; p++)
    if (p->in_libm) return true;
  return false;
}
