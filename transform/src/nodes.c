/* nodes.c — a source's whole tree, read once: every node of the walk that
 * source_check_syntax makes (a tree cursor over every visible node, named
 * or not), kept with its children, its parent and the field it fills.
 *
 * libtree-sitter 0.20 has no cheap way to move in a tree: a cursor step
 * costs 500-700 instructions, ts_node_child(n, i) walks from the first
 * child, ts_node_parent from the root. The passes that copy or rewrite the
 * text (rewrite.c's range) visit every child of every node they copy, and
 * the analyses ask for named children, parents and field names again and
 * again; here each is an array read.
 *
 * Layout: slot 0 is the root; the children of the node in slot p are the
 * slots off[p] .. off[p] + cnt[p] - 1, in order, so that node[] holds each
 * node's children as one array of TSNodes (and nnode[] its named children).
 * The walk gives a node's children their slots when it reaches the node
 * (ts_node_child_count says how many), so each node is written once, in
 * place. A node's slot is found by its id (a tree is never edited:
 * transform.h), through a table of slots that compares the ids in node[].
 *
 * Invariants:
 *   - node[off[p] + i] is exactly ts_node_child(node[p], i); parent[q] is
 *     the slot of ts_node_parent(node[q]); named[q] is
 *     ts_node_is_named(node[q]); fields[p][i], once read, the field id a
 *     cursor over node[p]'s children reports for child i.
 *   - A table is complete or absent: a walk that stopped (nesting too deep)
 *     leaves none, and every lookup then answers "unknown". */
#include <stdlib.h>
#include <string.h>
#include "transform.h"

struct nodetab {
  uint32_t n, cap;   /* slots given out, room for */
  TSNode *node;
  uint32_t *parent, *off, *cnt;
  bool *named;
  /* by slot: its named children, nnode[noff[p] .. noff[p] + ncnt[p]) */
  uint32_t *noff, *ncnt;
  TSNode *nnode;
  /* a node's slot by its id: open addressing, 1 + the slot (0: empty),
     the id compared at node[] */
  uint32_t *bucket, nbuckets;
  idmap fields;   /* 1 + slot -> its children's fields, read when asked */
};

static int64_t slot_of(const source *s, TSNode n);

static inline uint32_t bucket_of(const nodetab *t, const void *id) {
  uint64_t x = (uint64_t)(uintptr_t)id * 0x9E3779B97F4A7C15u;
  return (uint32_t)(x >> (64 - __builtin_ctz(t->nbuckets)));
}

/* Room for slots below need. */
static void reserve_slots(nodetab *t, uint32_t need) {
  if (need <= t->cap) return;
  uint32_t cap = t->cap ? t->cap : 4096;
  while (cap < need) cap *= 2;
  t->node = xrealloc(t->node, sizeof *t->node * cap);
  t->parent = xrealloc(t->parent, sizeof *t->parent * cap);
  t->off = xrealloc(t->off, sizeof *t->off * cap);
  t->cnt = xrealloc(t->cnt, sizeof *t->cnt * cap);
  t->named = xrealloc(t->named, sizeof *t->named * cap);
  t->cap = cap;
}

nodetab *nodes_begin(uint32_t estimate) {
  nodetab *t = xcalloc(1, sizeof *t);
  reserve_slots(t, estimate);
  return t;
}

/* n goes to slot (its place among its parent's children, given out when
 * the parent was added); its kc children get the next kc slots. */
static void put(nodetab *t, uint32_t slot, TSNode n, uint32_t parent, uint32_t kc) {
  reserve_slots(t, t->n + kc);
  t->node[slot] = n;
  t->parent[slot] = parent;
  t->named[slot] = ts_node_is_named(n);
  t->off[slot] = t->n;
  t->cnt[slot] = kc;
  t->n += kc;
}

uint32_t nodes_root(nodetab *t, TSNode root, uint32_t kc) {
  reserve_slots(t, 1);
  t->n = 1;
  put(t, 0, root, UINT32_MAX, kc);
  return 0;
}

uint32_t nodes_child(nodetab *t, uint32_t parent, uint32_t i, TSNode n, uint32_t kc) {
  uint32_t slot = t->off[parent] + i;
  put(t, slot, n, parent, kc);
  return slot;
}

/* A table's arrays and the table (those nodes_finish adds are NULL
 * before it). */
static void free_table(nodetab *t) {
  for (uint32_t i = 0; i < t->fields.cap; i++)
    if (t->fields.key[i]) free((void *)t->fields.val[i]);
  idmap_free(&t->fields);
  free(t->node);
  free(t->parent);
  free(t->off);
  free(t->cnt);
  free(t->named);
  free(t->noff);
  free(t->ncnt);
  free(t->nnode);
  free(t->bucket);
  free(t);
}

void nodes_abandon(nodetab *t) { free_table(t); }

/* The walk is over: the index by id and the named children. */
void nodes_finish(source *s, nodetab *t) {
  nodes_free(s);
  uint32_t n = t->n;
  t->nbuckets = 1024;
  while (t->nbuckets < 2 * (uint64_t)n) t->nbuckets *= 2;
  t->bucket = xcalloc(t->nbuckets, sizeof *t->bucket);
  for (uint32_t p = 0; p < n; p++) {
    uint32_t h = bucket_of(t, t->node[p].id);
    while (t->bucket[h]) h = (h + 1) & (t->nbuckets - 1);
    t->bucket[h] = p + 1;
  }
  t->noff = xmalloc(sizeof *t->noff * (n + 1));
  t->ncnt = xmalloc(sizeof *t->ncnt * (n + 1));
  uint32_t nn = 0;
  for (uint32_t p = 0; p < n; p++) {
    t->noff[p] = nn;
    t->ncnt[p] = 0;
    for (uint32_t q = t->off[p], e = q + t->cnt[p]; q < e; q++) t->ncnt[p] += t->named[q];
    nn += t->ncnt[p];
  }
  t->nnode = xmalloc(sizeof *t->nnode * (nn + 1));
  for (uint32_t p = 0, k = 0; p < n; p++)
    for (uint32_t q = t->off[p], e = q + t->cnt[p]; q < e; q++)
      if (t->named[q]) t->nnode[k++] = t->node[q];
  s->nodes = t;
  if (getenv("GOC_CHECK_NODES")) nodes_verify(s);
}

/* GOC_CHECK_NODES=1 (tests/nodes_table_test.sh): the table against
 * libtree-sitter's own answers, node by node (quadratic: for tests); the
 * fields are read as before, by a cursor over the parent's children. */
void nodes_verify(const source *s) {
  const nodetab *t = s->nodes;
  for (uint32_t p = 0; p < t->n; p++) {
    TSNode n = t->node[p];
    uint32_t c = ts_node_child_count(n), nc = ts_node_named_child_count(n);
    bool ok = c == t->cnt[p] && nc == t->ncnt[p] && ts_node_is_named(n) == t->named[p];
    for (uint32_t i = 0; ok && i < c; i++) ok = ts_node_eq(ts_node_child(n, i), t->node[t->off[p] + i]);
    for (uint32_t i = 0; ok && i < nc; i++) ok = ts_node_eq(ts_node_named_child(n, i), t->nnode[t->noff[p] + i]);
    if (ok && ts_node_end_byte(n) > ts_node_start_byte(n)) {
      TSNode up = ts_node_parent(n);
      ok = p ? ts_node_eq(up, t->node[t->parent[p]]) : ts_node_is_null(up);
    }
    ok = ok && slot_of(s, n) == (int64_t)p;
    if (!ok) diag_fatal("node table: node %u (%s at byte %u) differs from libtree-sitter's tree", p, ts_node_type(n),
                        ts_node_start_byte(n));
  }
}

void nodes_free(source *s) {
  if (!s->nodes) return;
  free_table(s->nodes);
  s->nodes = NULL;
}

/* n's slot, or -1 when n is not in s's table (or s has none). */
static int64_t slot_of(const source *s, TSNode n) {
  const nodetab *t = s ? s->nodes : NULL;
  if (!t || !n.id || n.tree != s->tree) return -1;
  for (uint32_t h = bucket_of(t, n.id);; h = (h + 1) & (t->nbuckets - 1)) {
    uint32_t b = t->bucket[h];
    if (!b) return -1;
    if (t->node[b - 1].id == n.id) return b - 1;
  }
}

const TSNode *nodes_children(const source *s, TSNode n, uint32_t *count) {
  int64_t p = slot_of(s, n);
  if (p < 0) return NULL;
  *count = s->nodes->cnt[p];
  return s->nodes->node + s->nodes->off[p];
}

const TSNode *nodes_named_children(const source *s, TSNode n, uint32_t *count) {
  int64_t p = slot_of(s, n);
  if (p < 0) return NULL;
  *count = s->nodes->ncnt[p];
  return s->nodes->nnode + s->nodes->noff[p];
}

bool nodes_parent(const source *s, TSNode n, TSNode *parent) {
  int64_t p = slot_of(s, n);
  if (p < 0) return false;
  uint32_t up = s->nodes->parent[p];
  *parent = up == UINT32_MAX ? (TSNode){0} : s->nodes->node[up];
  return true;
}

/* The fields of a node's children, read by one cursor when first asked
 * (a cursor's field is right where libtree-sitter 0.20's
 * ts_node_field_name_for_child misreports repeated fields). */
bool nodes_child_field(const source *s, TSNode n, uint32_t i, TSFieldId *field) {
  int64_t p = slot_of(s, n);
  if (p < 0) return false;
  nodetab *t = s->nodes;
  uintptr_t *known = idmap_put(&t->fields, (uintptr_t)p + 1);
  if (!*known) {
    TSFieldId *f = xcalloc((size_t)t->cnt[p] + 1, sizeof *f);
    TSTreeCursor c = ts_tree_cursor_new(n);
    uint32_t k = 0;
    for (bool more = k < t->cnt[p] && ts_tree_cursor_goto_first_child(&c); more;
         more = ++k < t->cnt[p] && ts_tree_cursor_goto_next_sibling(&c))
      f[k] = ts_tree_cursor_current_field_id(&c);
    ts_tree_cursor_delete(&c);
    *known = (uintptr_t)f;
  }
  *field = i < t->cnt[p] ? ((TSFieldId *)*known)[i] : 0;
  return true;
}

/* The innermost node under n that holds byte pos, as
 * ts_node_descendant_for_byte_range(n, pos, pos) answers (the first child
 * that ends after pos, if it starts at or before it; libtree-sitter 0.20
 * walks every child from the first, hidden ones too, at each level): here
 * by a binary search over each level's children, which end in order. */
TSNode nodes_descendant_at(const source *s, TSNode n, uint32_t pos) {
  int64_t p = slot_of(s, n);
  if (p < 0) return ts_node_descendant_for_byte_range(n, pos, pos);
  const nodetab *t = s->nodes;
  for (;;) {
    uint32_t lo = t->off[p], hi = lo + t->cnt[p];
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      if (ts_node_end_byte(t->node[mid]) <= pos) lo = mid + 1;
      else hi = mid;
    }
    if (lo == t->off[p] + t->cnt[p] || pos < ts_node_start_byte(t->node[lo])) break;
    p = lo;
  }
  if (getenv("GOC_CHECK_NODES") && !ts_node_eq(t->node[p], ts_node_descendant_for_byte_range(n, pos, pos)))
    diag_fatal("node table: the node at byte %u differs from libtree-sitter's", pos);
  return t->node[p];
}
