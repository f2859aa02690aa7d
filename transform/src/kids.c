/* kids.c — a node's named children as an array, remembered per node.
 * libtree-sitter 0.20's ts_node_named_child(n, i) walks from the first
 * child (a loop over i is quadratic in the children: csmith's initialiser
 * lists and a preprocessed file's declarations have thousands), its
 * ts_node_next_sibling starts from the parent, and even a cursor step
 * costs a few hundred instructions; the transformer's passes walk every
 * function body several times, so each node's children are read once.
 *
 * Invariants:
 *   - at[0 .. n-1] is exactly what the loop over ts_node_named_child would
 *     see, in order.
 *   - A tree is never edited (transform.h), so an answer stays right for
 *     the life of its source; the memo is freed with it.
 *   - One cursor serves every call: filling an array never recurses.
 *   - A source whose tree nodes.c has read answers from that table. */
#include <stdlib.h>
#include <string.h>
#include "transform.h"

typedef struct memo {
  uint32_t n;
  TSNode at[];
} memo;

static TSTreeCursor cur;
static bool cur_made;

/* Named children through a cursor, into k's own array. */
static void fill(TSNode n, kids *k) {
  k->own = true;
  k->at = k->small;
  k->n = 0;
  if (ts_node_is_null(n)) return;
  if (!cur_made) {
    cur = ts_tree_cursor_new(n);
    cur_made = true;
  } else {
    ts_tree_cursor_reset(&cur, n);
  }
  uint32_t cap = sizeof k->small / sizeof *k->small;
  if (!ts_tree_cursor_goto_first_child(&cur)) return;
  do {
    TSNode c = ts_tree_cursor_current_node(&cur);
    if (!ts_node_is_named(c)) continue;
    if (k->n == cap) {
      cap *= 2;
      if (k->at == k->small) {
        k->at = xmalloc(sizeof *k->at * cap);
        memcpy(k->at, k->small, sizeof k->small);
      } else {
        k->at = xrealloc(k->at, sizeof *k->at * cap);
      }
    }
    k->at[k->n++] = c;
  } while (ts_tree_cursor_goto_next_sibling(&cur));
}

void kids_named(TSNode n, kids *k) {
  source *s = ts_node_is_null(n) ? NULL : (source *)source_of(n);
  if (!s) { fill(n, k); return; }
  k->own = false;
  /* the whole tree's table (nodes.c): no walk, no memo */
  const TSNode *all = nodes_named_children(s, n, &k->n);
  if (all) {
    k->at = (TSNode *)all;
    return;
  }
  const uintptr_t *known = idmap_find(&s->kids_at, (uintptr_t)n.id);
  if (known) {
    const memo *m = (const memo *)*known;
    k->at = (TSNode *)m->at;
    k->n = m->n;
    return;
  }
  memo *m;
  uint32_t c = ts_node_named_child_count(n);
  if (ts_node_child_count(n) <= 8) {
    /* a short walk from the first child costs less than a cursor's setup */
    m = xmalloc(sizeof *m + sizeof *m->at * c);
    for (uint32_t i = 0; i < c; i++) m->at[i] = ts_node_named_child(n, i);
    m->n = c;
  } else {
    kids f;
    fill(n, &f);
    m = xmalloc(sizeof *m + sizeof *m->at * f.n);
    memcpy(m->at, f.at, sizeof *m->at * f.n);
    m->n = f.n;
    kids_free(&f);
  }
  *idmap_put(&s->kids_at, (uintptr_t)n.id) = (uintptr_t)m;
  k->at = m->at;
  k->n = m->n;
}

void kids_free(kids *k) {
  if (k->own && k->at != k->small) free(k->at);
  k->at = NULL;
  k->n = 0;
}

void kids_forget(idmap *m) {
  for (uint32_t i = 0; i < m->cap; i++)
    if (m->key[i]) free((void *)m->val[i]);
  idmap_free(m);
}
