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
 * A node's slot is found by its id (a tree is never edited: transform.h).
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
  uint32_t n;
  TSNode *node;
  uint32_t *parent, *off, *cnt;
  TSFieldId **fields;   /* by slot: its children's fields, NULL until asked */
  bool *named;
  /* by slot: its named children, named[noff[p] .. noff[p] + ncnt[p]) */
  uint32_t *noff, *ncnt;
  TSNode *nnode;
  idmap slot_of;   /* a node's id -> 1 + its slot */
};

/* The walk's record, in the walk's (preorder) order. */
typedef struct nodes_builder {
  uint32_t n, cap;
  TSNode *node;
  uint32_t *parent;
  bool *named;
} nodes_builder;

static int64_t slot_of(const source *s, TSNode n);

nodes_builder *nodes_begin(void) { return xcalloc(1, sizeof(nodes_builder)); }

uint32_t nodes_add(nodes_builder *b, TSNode n, uint32_t parent) {
  if (b->n == b->cap) {
    b->cap = b->cap ? 2 * b->cap : 4096;
    b->node = xrealloc(b->node, sizeof *b->node * b->cap);
    b->parent = xrealloc(b->parent, sizeof *b->parent * b->cap);
    b->named = xrealloc(b->named, sizeof *b->named * b->cap);
  }
  b->node[b->n] = n;
  b->parent[b->n] = parent;
  b->named[b->n] = ts_node_is_named(n);
  return b->n++;
}

static void builder_free(nodes_builder *b) {
  free(b->node);
  free(b->parent);
  free(b->named);
  free(b);
}

void nodes_abandon(nodes_builder *b) { builder_free(b); }

/* The preorder record laid out by slots (see the top). */
void nodes_finish(source *s, nodes_builder *b) {
  nodes_free(s);
  uint32_t n = b->n;
  if (!n) { builder_free(b); return; }
  nodetab *t = xcalloc(1, sizeof *t);
  t->n = n;
  uint32_t *cnt = xcalloc(n, sizeof *cnt), *off = xmalloc(sizeof *off * n), *slot = xmalloc(sizeof *slot * n);
  for (uint32_t i = 1; i < n; i++) cnt[b->parent[i]]++;
  uint32_t next = 1;
  for (uint32_t i = 0; i < n; i++) {
    off[i] = next;
    next += cnt[i];
  }
  uint32_t *fill = xcalloc(n, sizeof *fill);
  slot[0] = 0;
  for (uint32_t i = 1; i < n; i++) slot[i] = off[b->parent[i]] + fill[b->parent[i]]++;
  free(fill);
  t->node = xmalloc(sizeof *t->node * n);
  t->parent = xmalloc(sizeof *t->parent * n);
  t->off = xmalloc(sizeof *t->off * n);
  t->cnt = xmalloc(sizeof *t->cnt * n);
  t->fields = xcalloc(n, sizeof *t->fields);
  t->named = xmalloc(sizeof *t->named * n);
  t->noff = xmalloc(sizeof *t->noff * n);
  t->ncnt = xmalloc(sizeof *t->ncnt * n);
  idmap_reserve(&t->slot_of, n);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t p = slot[i];
    t->node[p] = b->node[i];
    t->parent[p] = i ? slot[b->parent[i]] : UINT32_MAX;
    t->off[p] = off[i];
    t->cnt[p] = cnt[i];
    t->named[p] = b->named[i];
    *idmap_put(&t->slot_of, (uintptr_t)b->node[i].id) = p + 1;
  }
  free(cnt);
  free(off);
  free(slot);
  builder_free(b);
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
  nodetab *t = s->nodes;
  if (!t) return;
  free(t->node);
  free(t->parent);
  free(t->off);
  free(t->cnt);
  for (uint32_t i = 0; i < t->n; i++) free(t->fields[i]);
  free(t->fields);
  free(t->named);
  free(t->noff);
  free(t->ncnt);
  free(t->nnode);
  idmap_free(&t->slot_of);
  free(t);
  s->nodes = NULL;
}

/* n's slot, or -1 when n is not in s's table (or s has none). */
static int64_t slot_of(const source *s, TSNode n) {
  const nodetab *t = s ? s->nodes : NULL;
  if (!t || ts_node_is_null(n) || n.tree != s->tree) return -1;
  const uintptr_t *p = idmap_find(&t->slot_of, (uintptr_t)n.id);
  return p ? (int64_t)*p - 1 : -1;
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
  if (!t->fields[p]) {
    TSFieldId *f = xcalloc((size_t)t->cnt[p] + 1, sizeof *f);
    TSTreeCursor c = ts_tree_cursor_new(n);
    uint32_t k = 0;
    for (bool more = ts_tree_cursor_goto_first_child(&c); more && k < t->cnt[p];
         more = ts_tree_cursor_goto_next_sibling(&c))
      f[k++] = ts_tree_cursor_current_field_id(&c);
    ts_tree_cursor_delete(&c);
    t->fields[p] = f;
  }
  *field = i < t->cnt[p] ? t->fields[p][i] : 0;
  return true;
}
