/* sysitems.c — the system headers' text, left out of tree-sitter's parse.
 *
 * A preprocessed translation unit holds every declaration of the system
 * headers it includes (67 KB for a csmith program: stdio.h, math.h, ...),
 * and parsing them was a third to a half of the transform of a small file.
 * The transformer needs little of them: each top-level item copied as
 * written behind its line marker, the functions they declare (sysfuncs.c),
 * the typedef names and which are arrays (typedefs.c). A run of system
 * rows that is a plain sequence of such items (declarations, typedefs,
 * struct, union and enum definitions; no function definition, directive,
 * comment or word of goc's) is read here token by token, and tree-sitter
 * parses the rest of the text only (ts_parser_set_included_ranges).
 *
 * Invariants:
 *   - The result is the whole parse's or nothing: the tree of the rest must
 *     be free of errors and each skipped run must lie between two complete
 *     items of it, else the text is parsed whole (source_parse_whole). A
 *     system header's identifier that names a goroutine function (an item
 *     of it would need that function's frame first: lower_file.c) makes
 *     driver.c parse whole too.
 *   - s->sysitems are in text order, each the span of one top-level child
 *     of the whole parse's root, named or not (the `;` after a struct
 *     definition is a child of its own), with the facts of its tokens in
 *     s->sysdecls, s->systypedefs and s->sysidents.
 *   - GOC_CHECK_SYSITEMS=1 parses whole as well and compares items and
 *     facts (fatal on a difference; tests/sysitems_test.sh). */
#include <stdlib.h>
#include <string.h>
#include "lower.h"

const TSLanguage *tree_sitter_goc(void);

typedef struct tok { uint32_t a, b; char c; } tok;   /* c: 'i' a word, '0' a number, '"' a literal, else the char */

typedef struct scan {
  const char *t;
  tok *v;
  uint32_t n, cap;
} scan;

static bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
}

/* The tokens of t[a, b); false on anything this file does not read. */
static bool tokenize(scan *sc, uint32_t a, uint32_t b) {
  const char *t = sc->t;
  for (uint32_t i = a; i < b;) {
    char c = t[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') { i++; continue; }
    if ((unsigned char)c >= 0x80 || c == '#' || c == '\\' || c == '@' || c == '`') return false;
    if (c == '/' && i + 1 < b && (t[i + 1] == '*' || t[i + 1] == '/')) return false;
    if (c == '<' && i + 1 < b && t[i + 1] == '-') return false;   /* goc's arrow */
    uint32_t s = i;
    char kind = c;
    if (word_char(c) && !(c >= '0' && c <= '9')) {
      while (i < b && word_char(t[i])) i++;
      kind = 'i';
    } else if ((c >= '0' && c <= '9') || (c == '.' && i + 1 < b && t[i + 1] >= '0' && t[i + 1] <= '9')) {
      while (i < b && (word_char(t[i]) || t[i] == '.' ||
                       ((t[i] == '+' || t[i] == '-') && strchr("eEpP", t[i - 1]))))
        i++;
      kind = '0';
    } else if (c == '"' || c == '\'') {
      i++;
      while (i < b && t[i] != c && t[i] != '\n') i += t[i] == '\\' ? 2 : 1;
      if (i >= b || t[i] != c) return false;
      i++;
      kind = '"';
    } else {
      i++;
    }
    if (sc->n == sc->cap) {
      sc->cap = sc->cap ? 2 * sc->cap : 4096;
      sc->v = xrealloc(sc->v, sizeof *sc->v * sc->cap);
    }
    sc->v[sc->n++] = (tok){s, i, kind};
  }
  return true;
}

static bool is(const scan *sc, uint32_t k, const char *w) {
  if (k >= sc->n) return false;
  size_t l = strlen(w);
  return sc->v[k].b - sc->v[k].a == l && !memcmp(sc->t + sc->v[k].a, w, l);
}

static bool is_any(const scan *sc, uint32_t k, const char *const *ws) {
  for (; *ws; ws++)
    if (is(sc, k, *ws)) return true;
  return false;
}

static const char *const qualifiers[] = {"const", "volatile", "restrict", "__restrict", "__restrict__", "__const",
                                         "__volatile__", "__volatile", "_Atomic", NULL};
static const char *const storage[] = {"extern", "static", "auto", "register", "inline", "__inline", "__inline__",
                                      "_Noreturn", "__extension__", "_Thread_local", "__thread", NULL};
/* the words of tree-sitter's primitive_type and sized_type_specifier (it
 * reads _Bool, __int128 and their kin as type_identifiers) */
static const char *const type_words[] = {"void", "char", "short", "int", "long", "float", "double", "signed",
                                         "unsigned", NULL};
/* the names tree-sitter's grammar lexes as primitive types, even as a
 * typedef's name (typedefs.c never sees those) */
static const char *const primitive_names[] = {"bool", "size_t", "ssize_t", "ptrdiff_t", "intptr_t", "uintptr_t",
                                              "charptr_t", "nullptr_t", "max_align_t", "int8_t", "int16_t", "int32_t",
                                              "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t", "char8_t",
                                              "char16_t", "char32_t", "char64_t", NULL};
static const char *const tags[] = {"struct", "union", "enum", NULL};
static const char *const attributes[] = {"__attribute__", "__attribute", NULL};
static const char *const asm_words[] = {"__asm__", "__asm", "asm", NULL};
/* words whose items this file leaves to tree-sitter: goc's (lower_file.c's
 * undef_user_chan_names reads the chan_ ones), and C's that are no plain
 * declaration */
static const char *const refused[] = {"go", "chan", "chan_make", "select", "chan_close", "chan_len", "chan_cap",
                                      "chan_free", "typeof", "__typeof__", "__typeof", "_Static_assert",
                                      "static_assert", "_Alignas", "alignas", "__declspec", "_Pragma", NULL};

/* The index after the group opened at k (its matching close), or n. */
static uint32_t skip_group(const scan *sc, uint32_t k, uint32_t end) {
  int depth = 0;
  for (; k < end; k++) {
    char c = sc->v[k].c;
    if (c == '(' || c == '[' || c == '{') depth++;
    if ((c == ')' || c == ']' || c == '}') && --depth == 0) return k + 1;
  }
  return end;
}

/* ---- declarators ----
 * One declarator's tokens [a, b): its name, and what tree-sitter's tree
 * makes the name's parent once parenthesized declarators are passed over:
 * an array (typedefs.c: the typedef is an array), or, for a bare name, the
 * declaration's type decides; whether the name is a function_declarator's
 * own declarator (sysfuncs.c). */
typedef enum { D_BARE, D_ARRAY, D_OTHER } dparent;

static bool declarator(const scan *sc, uint32_t a, uint32_t b, uint32_t *name, dparent *parent, bool *function) {
  /* the name: the one word; everything around it is *, qualifiers,
     parentheses and suffixes */
  uint32_t nm = UINT32_MAX;
  for (uint32_t k = a; k < b; k++) {
    if (sc->v[k].c == '[') { k = skip_group(sc, k, b) - 1; continue; }
    if (sc->v[k].c == '(' && nm != UINT32_MAX) { k = skip_group(sc, k, b) - 1; continue; }
    if (sc->v[k].c == 'i' && !is_any(sc, k, qualifiers)) {
      if (nm != UINT32_MAX || is_any(sc, k, attributes) || is_any(sc, k, asm_words)) return false;
      nm = k;
    } else if (sc->v[k].c != 'i' && sc->v[k].c != '*' && sc->v[k].c != '(' && sc->v[k].c != ')') {
      return false;
    }
  }
  if (nm == UINT32_MAX) return false;
  *name = nm;
  *function = nm + 1 < b && sc->v[nm + 1].c == '(';
  for (uint32_t k = a; k < nm; k++) *function &= sc->v[k].c != '(';
  /* from the name outwards: a suffix binds before a prefix */
  uint32_t lo = nm, hi = nm + 1;   /* the group holding the name so far */
  bool grouped = false;
  for (;;) {
    if (hi < b && sc->v[hi].c == '[') { *parent = D_ARRAY; return true; }
    if (hi < b && sc->v[hi].c == '(') { *parent = D_OTHER; return true; }
    if (lo > a && (sc->v[lo - 1].c == '*' || is_any(sc, lo - 1, qualifiers))) { *parent = D_OTHER; return true; }
    if (lo > a && sc->v[lo - 1].c == '(' && hi < b && sc->v[hi].c == ')') {
      lo--, hi++;
      grouped = true;
      continue;
    }
    if (lo > a || hi < b) return false;
    *parent = grouped ? D_OTHER : D_BARE;
    return true;
  }
}

/* ---- items ---- */

static void push_item(source *s, uint32_t a, uint32_t b, uint32_t row, bool named) {
  if (s->nsysitems == s->sysitems_cap) {
    s->sysitems_cap = s->sysitems_cap ? 2 * s->sysitems_cap : 1024;
    s->sysitems = xrealloc(s->sysitems, sizeof *s->sysitems * s->sysitems_cap);
  }
  s->sysitems[s->nsysitems++] = (sysitem){a, b, row, named};
}

static char *tok_text(const scan *sc, uint32_t k) { return xstrndup(sc->t + sc->v[k].a, sc->v[k].b - sc->v[k].a); }

/* Facts of the item of tokens [i, e] (e its `;`), or false. in_libm: the
 * item's file is libm's (sysfuncs.c). */
static bool read_item(source *s, const scan *sc, uint32_t i, uint32_t e, bool in_libm) {
  uint32_t k = i;
  if (is(sc, k, "__extension__")) k++;
  bool typedef_ = is(sc, k, "typedef");
  if (typedef_) k++;
  /* the specifiers */
  bool have_type = false, only_name = true;
  int names = 0;
  uint32_t type_name = UINT32_MAX;
  while (k < e) {
    if (is_any(sc, k, qualifiers) || (!typedef_ && is_any(sc, k, storage))) { k++; continue; }
    if (is_any(sc, k, attributes)) {
      k = skip_group(sc, k + 1, e);
      continue;
    }
    if (is_any(sc, k, type_words) || is_any(sc, k, primitive_names)) {
      have_type = true;
      only_name = false;
      k++;
      continue;
    }
    if (is_any(sc, k, tags)) {
      have_type = true;
      only_name = false;
      k++;
      if (k < e && sc->v[k].c == 'i' && !is_any(sc, k, attributes)) k++;
      if (k < e && sc->v[k].c == '{') k = skip_group(sc, k, e);
      continue;
    }
    if (sc->v[k].c == 'i' && !have_type && !is_any(sc, k, asm_words) && !is(sc, k, "typedef")) {
      have_type = true;
      type_name = k;
      names++;
      k++;
      continue;
    }
    break;
  }
  if (!have_type) return false;
  /* the declarators, each up to an initializer, asm label, attribute, `,` */
  while (k < e) {
    uint32_t a = k;
    while (k < e && sc->v[k].c != ',' && sc->v[k].c != '=' && !is_any(sc, k, asm_words) && !is_any(sc, k, attributes)) {
      if (sc->v[k].c == '(' || sc->v[k].c == '[') k = skip_group(sc, k, e);
      else if (sc->v[k].c == '{' || sc->v[k].c == '}') return false;
      else k++;
    }
    uint32_t b = k;
    bool trailing = false;
    while (k < e && sc->v[k].c != ',') {
      if (sc->v[k].c == '=' && typedef_) return false;
      trailing |= is_any(sc, k, attributes);
      if (sc->v[k].c == '(' || sc->v[k].c == '[' || sc->v[k].c == '{') k = skip_group(sc, k, e);
      else k++;
    }
    if (k < e) k++;   /* the comma */
    uint32_t nm;
    dparent parent;
    bool function;
    if (!declarator(sc, a, b, &nm, &parent, &function)) return false;
    if (typedef_ && is_any(sc, nm, primitive_names)) {
      continue;
    } else if (typedef_) {
      bool alias = parent == D_BARE && only_name && names == 1;
      /* an attribute after the name: whether tree-sitter puts it in the
         declarator decides between the two readings */
      if (trailing && alias) return false;
      if (s->nsystypedefs == s->systypedefs_cap) {
        s->systypedefs_cap = s->systypedefs_cap ? 2 * s->systypedefs_cap : 256;
        s->systypedefs = xrealloc(s->systypedefs, sizeof *s->systypedefs * s->systypedefs_cap);
      }
      s->systypedefs[s->nsystypedefs++] =
          (systypedef){tok_text(sc, nm), parent == D_ARRAY, alias ? tok_text(sc, type_name) : NULL};
    } else if (function) {
      s->sysdecls = xrealloc(s->sysdecls, sizeof *s->sysdecls * (size_t)(s->nsysdecls + 1));
      s->sysdecls[s->nsysdecls++] = (sysfunc){tok_text(sc, nm), in_libm};
    }
  }
  return true;
}

/* Whether the tokens [i, e] are exactly `struct|union|enum [name] [{...}] ;`:
 * tree-sitter's root then has the specifier and the `;` as two children. */
static bool bare_specifier(const scan *sc, uint32_t i, uint32_t e) {
  if (!is_any(sc, i, tags)) return false;
  uint32_t k = i + 1;
  if (k < e && sc->v[k].c == 'i') k++;
  if (k < e && sc->v[k].c == '{') k = skip_group(sc, k, e);
  return k == e;
}

static bool file_is_libm(const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  return !strncmp(base, "math", 4);
}

/* The row of byte at, counting from the row and byte of the region's start. */
static uint32_t row_of(const char *t, uint32_t *row, uint32_t *pos, uint32_t at) {
  for (; *pos < at; (*pos)++) *row += t[*pos] == '\n';
  return *row;
}

/* Reads the rows [a, b) (bytes) starting at row r as top-level items into
 * s; false (s unchanged) if they are not plain ones. */
static bool read_region(source *s, uint32_t a, uint32_t b, uint32_t r) {
  scan sc = {s->text, NULL, 0, 0};
  uint32_t items0 = s->nsysitems, decls0 = (uint32_t)s->nsysdecls, tds0 = (uint32_t)s->nsystypedefs,
           ids0 = s->nsysidents;
  bool ok = tokenize(&sc, a, b) && sc.n > 0;
  uint32_t row = r, pos = a;
  for (uint32_t i = 0; ok && i < sc.n;) {
    /* the item: up to its `;` outside brackets; a brace at the top only
       after struct, union or enum (and a tag) */
    uint32_t e = i;
    int depth = 0;
    for (; e < sc.n; e++) {
      char c = sc.v[e].c;
      if (c == '{' && depth == 0 && !(e > i && (is_any(&sc, e - 1, tags) ||
                                              (sc.v[e - 1].c == 'i' && e > i + 1 && is_any(&sc, e - 2, tags)))))
        break;
      if (c == '(' || c == '[' || c == '{') depth++;
      if (c == ')' || c == ']' || c == '}') depth--;
      if (depth < 0) break;
      if (c == ';' && depth == 0) break;
    }
    if (e >= sc.n || sc.v[e].c != ';' || sc.v[i].c != 'i') { ok = false; break; }
    for (uint32_t k = i; k <= e && ok; k++) {
      if (sc.v[k].c != 'i') continue;
      if (is_any(&sc, k, refused) || (k > i && is(&sc, k, "typedef") && !(k == i + 1 && is(&sc, i, "__extension__")))) {
        ok = false;
        break;
      }
      if (s->nsysidents == s->sysidents_cap) {
        s->sysidents_cap = s->sysidents_cap ? 2 * s->sysidents_cap : 4096;
        s->sysidents = xrealloc(s->sysidents, sizeof *s->sysidents * s->sysidents_cap);
      }
      s->sysidents[s->nsysidents++] = (sysident){sc.v[k].a, sc.v[k].b - sc.v[k].a};
    }
    if (!ok) break;
    uint32_t ir = row_of(s->text, &row, &pos, sc.v[i].a);
    const char *file;
    int line;
    source_line_of(s, ir, &file, &line);
    if (!read_item(s, &sc, i, e, file_is_libm(file))) { ok = false; break; }
    if (bare_specifier(&sc, i, e)) {
      push_item(s, sc.v[i].a, sc.v[e - 1].b, ir, true);
      push_item(s, sc.v[e].a, sc.v[e].b, row_of(s->text, &row, &pos, sc.v[e].a), false);
    } else {
      push_item(s, sc.v[i].a, sc.v[e].b, ir, true);
    }
    i = e + 1;
  }
  free(sc.v);
  if (!ok) {
    s->nsysitems = items0;
    for (uint32_t k = decls0; k < (uint32_t)s->nsysdecls; k++) free(s->sysdecls[k].name);
    s->nsysdecls = (int)decls0;
    for (uint32_t k = tds0; k < (uint32_t)s->nsystypedefs; k++) {
      free(s->systypedefs[k].name);
      free(s->systypedefs[k].alias);
    }
    s->nsystypedefs = (int)tds0;
    s->nsysidents = ids0;
  }
  return ok;
}

static void forget_items(source *s) {
  for (int k = 0; k < s->nsysdecls; k++) free(s->sysdecls[k].name);
  for (int k = 0; k < s->nsystypedefs; k++) {
    free(s->systypedefs[k].name);
    free(s->systypedefs[k].alias);
  }
  free(s->sysitems);
  free(s->sysdecls);
  free(s->systypedefs);
  free(s->sysidents);
  s->sysitems = NULL;
  s->sysdecls = NULL;
  s->systypedefs = NULL;
  s->sysidents = NULL;
  s->nsysitems = s->sysitems_cap = s->nsysidents = s->sysidents_cap = 0;
  s->nsysdecls = s->nsystypedefs = s->systypedefs_cap = 0;
}

void source_forget_system_items(source *s) { forget_items(s); }

/* Whether the tree of the rest is the whole parse's: no error, and each
 * skipped region lies between two of its top-level children, after a
 * complete item (a declaration, a typedef, a function definition, or the
 * `;` that completes a struct's definition). */
static bool rest_is_whole(const source *s, const uint32_t *reg, int nreg) {
  TSNode root = ts_tree_root_node(s->tree);
  if (ts_node_has_error(root)) return false;
  TSTreeCursor cur = ts_tree_cursor_new(root);
  int r = 0;
  TSNode prev = {0};
  bool ok = true;
  for (bool more = ts_tree_cursor_goto_first_child(&cur); more && ok && r < nreg;
       more = ts_tree_cursor_goto_next_sibling(&cur)) {
    TSNode k = ts_tree_cursor_current_node(&cur);
    for (; ok && r < nreg && reg[2 * r] < ts_node_start_byte(k); r++)
      ok = ts_node_is_null(prev) ||
           (ts_node_end_byte(prev) <= reg[2 * r] &&
            (node_is(prev, "declaration") || node_is(prev, "type_definition") ||
             node_is(prev, "function_definition") || (!ts_node_is_named(prev) && node_text_is(s, prev, ";"))));
    prev = k;
  }
  ts_tree_cursor_delete(&cur);
  return ok && r == nreg;   /* a child after each region */
}

static void parse_whole(source *s) {
  if (s->tree) ts_tree_delete(s->tree);
  ts_parser_set_included_ranges(s->parser, NULL, 0);
  s->tree = ts_parser_parse_string(s->parser, NULL, s->text, s->len);
}

void source_parse_whole(source *s) {
  forget_items(s);
  nodes_free(s);
  idmap_free(&s->parent_at);
  idmap_free(&s->field_at);
  kids_forget(&s->kids_at);
  s->nanswers = 0;
  s->nidents = 0;
  s->idents_done = false;
  for (int i = 0; i < s->nsysfuncs; i++) free(s->sysfuncs[i].name);
  free(s->sysfuncs);
  s->sysfuncs = NULL;
  s->nsysfuncs = 0;
  typedefs_forget(s);
  constsize_forget(s);
  parse_whole(s);
}

static void check_items(source *s);

void source_parse(source *s) {
  uint32_t *runs;
  int nruns = source_system_runs(s, &runs);
  uint32_t *reg = xmalloc(sizeof *reg * (size_t)(2 * nruns + 2));
  int nreg = 0;
  for (int i = 0; i < nruns; i++) {
    uint32_t a = source_row_start(s, runs[2 * i]), b = source_row_start(s, runs[2 * i + 1]);
    if (read_region(s, a, b, runs[2 * i])) {
      reg[2 * nreg] = a;
      reg[2 * nreg + 1] = b;
      nreg++;
    }
  }
  free(runs);
  if (!nreg || getenv("GOC_NO_SYSITEMS")) {
    free(reg);
    forget_items(s);
    parse_whole(s);
    return;
  }
  /* the ranges between the regions */
  TSRange *in = xcalloc((size_t)nreg + 1, sizeof *in);
  uint32_t nin = 0, at = 0;
  for (int i = 0; i <= nreg; i++) {
    uint32_t e = i < nreg ? reg[2 * i] : s->len;
    if (e > at || i == nreg) {
      uint32_t ra = source_row_of_byte(s, at), rb = source_row_of_byte(s, e);
      in[nin++] = (TSRange){{ra, at - source_row_start(s, ra)}, {rb, e - source_row_start(s, rb)}, at, e};
    }
    if (i < nreg) at = reg[2 * i + 1];
  }
  bool ok = ts_parser_set_included_ranges(s->parser, in, nin);
  free(in);
  if (ok) s->tree = ts_parser_parse_string(s->parser, NULL, s->text, s->len);
  if (!ok || !rest_is_whole(s, reg, nreg)) {
    forget_items(s);
    parse_whole(s);
  } else if (getenv("GOC_CHECK_SYSITEMS")) {
    check_items(s);
  }
  free(reg);
}

bool sysitems_name_goroutine_fn(const program *p, const source *s) {
  char small[256];
  for (uint32_t i = 0; i < s->nsysidents; i++) {
    uint32_t len = s->sysidents[i].len;
    if (len >= sizeof small) continue;
    memcpy(small, s->text + s->sysidents[i].at, len);
    small[len] = 0;
    if (program_any_coloured(p, small)) return true;
  }
  return false;
}

/* ---- GOC_CHECK_SYSITEMS=1 ---- */

static bool declares_array_node(const source *s, TSNode td, TSNode d, char **alias) {
  TSNode nm = d;
  *alias = NULL;
  while (!ts_node_is_null(nm) && !node_is(nm, "type_identifier")) nm = declarator_inner(nm);
  TSNode p = node_parent(nm);
  while (node_is(p, "parenthesized_declarator") || node_is(p, "attributed_declarator")) p = node_parent(p);
  if (!ts_node_eq(nm, d)) return node_is(p, "array_declarator");
  TSNode type = node_field(td, "type");
  if (node_is(type, "type_identifier")) *alias = node_text(s, type);
  return false;
}

static void check_items(source *s) {
  source *w = source_new(s->path, s->text, s->len);
  w->map = s->map;
  parse_whole(w);
  TSNode root = ts_tree_root_node(w->tree);
  uint32_t c = ts_node_child_count(root), k = 0, nd = 0, nt = 0;
  for (uint32_t i = 0; i < c; i++) {
    TSNode n = ts_node_child(root, i);
    uint32_t a = ts_node_start_byte(n);
    bool inside = false;
    for (uint32_t j = 0; j < s->nsysitems && !inside; j++) inside = s->sysitems[j].start == a;
    if (!inside) continue;
    if (k >= s->nsysitems || s->sysitems[k].start != a || s->sysitems[k].end != ts_node_end_byte(n) ||
        s->sysitems[k].named != ts_node_is_named(n) || s->sysitems[k].row != ts_node_start_point(n).row)
      diag_fatal("system items: the item at byte %u (%s) differs from tree-sitter's", a, ts_node_type(n));
    k++;
    if (node_is(n, "type_definition")) {
      uint32_t kc = ts_node_child_count(n);
      for (uint32_t j = 0; j < kc; j++) {
        TSTreeCursor cur = ts_tree_cursor_new(n);
        ts_tree_cursor_goto_first_child(&cur);
        for (uint32_t q = 0; q < j; q++) ts_tree_cursor_goto_next_sibling(&cur);
        const char *f = ts_tree_cursor_current_field_name(&cur);
        ts_tree_cursor_delete(&cur);
        if (!f || strcmp(f, "declarator")) continue;
        TSNode d = ts_node_child(n, j), nm = d;
        while (!ts_node_is_null(nm) && !node_is(nm, "type_identifier")) nm = declarator_inner(nm);
        if (ts_node_is_null(nm)) continue;
        char *alias;
        bool arr = declares_array_node(w, n, d, &alias);
        char *name = node_text(w, nm);
        systypedef *e = nt < (uint32_t)s->nsystypedefs ? &s->systypedefs[nt] : NULL;
        if (!e || strcmp(e->name, name) || e->array != arr || (!e->alias) != (!alias) ||
            (alias && strcmp(alias, e->alias)))
          diag_fatal("system items: typedef %s at byte %u differs from tree-sitter's", name, a);
        nt++;
        free(name);
        free(alias);
      }
    } else if (node_is(n, "declaration")) {
      uint32_t nc = ts_node_named_child_count(n);
      for (uint32_t j = 0; j < nc; j++) {
        TSNode id = declared_function_name(ts_node_named_child(n, j));
        if (ts_node_is_null(id)) continue;
        if (nd >= (uint32_t)s->nsysdecls || !node_text_is(w, id, s->sysdecls[nd].name))
          diag_fatal("system items: the function declared at byte %u differs from tree-sitter's", a);
        nd++;
      }
    }
  }
  if (k != s->nsysitems || nd != (uint32_t)s->nsysdecls || nt != (uint32_t)s->nsystypedefs)
    diag_fatal("system items: %u items, %u functions, %u typedefs where tree-sitter has %u, %u, %u", s->nsysitems,
               (uint32_t)s->nsysdecls, (uint32_t)s->nsystypedefs, k, nd, nt);
  w->map = NULL;
  source_free(w);
}
