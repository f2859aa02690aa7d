/* lower.h — the lowering of one goroutine function into a frame struct and
 * a step function, shared by its files (see docs/lowering.md):
 *   rewrite.c     source text with channel types lowered and locals renamed
 *   analyse.c     locals, scopes, address-taken variables (pass 1)
 *   lower_expr.c  expressions with suspension points to sequenced form
 *   lower_stmt.c  statements, loops, resume points, spills
 *   lower_chan.c  send, receive, select, range
 *   lower_go.c    go statements
 *   lower_func.c  assembling frame, step function and C entry
 *   lower_file.c  a whole source file
 *
 * Invariants:
 *   - Every local of a goroutine function is declared where the source
 *     declares it, under its own name, in the same block: a resume label
 *     reached by the computed goto may sit inside a block, past non-VLA
 *     declarations, as C allows a goto to. Initialisers become GOC__INIT
 *     stores in place. What must be named at the top of the step function
 *     (the locals area's fields, the temps) names a local's type as the
 *     typedef goc_T<slot>, hoisted there in source order with the local
 *     types; a temp's type that mentions locals re-declares them inside a
 *     statement expression (top_type). A local is renamed name__N only
 *     where it is shadowed by an inner local of its name (a suspension
 *     there must still reach it, unless it lives in L), names something
 *     hoisted to the top, or
 *     starts with goc_; static and extern locals stay hoisted. The locals
 *     of a statement expression with no suspension (in_place) stay there.
 *   - A slot is a C variable of the step function. Slots with in_L live in
 *     the locals area L (their C twin only gives typeof a name, and its
 *     type is named goc_in_L__FNAME for debuggers); the others are
 *     registers spilled to L at a suspension and reloaded after it.
 *   - Every L field FNAME has a C twin CNAME of the same type, in scope
 *     wherever (L->FNAME) is written, so "(L->FNAME)" can be written
 *     "(CNAME)" inside __typeof__ (typeof_text). FNAME is CNAME unless two
 *     locals of one name have fields.
 */
#ifndef GOC_LOWER_H
#define GOC_LOWER_H

#include "idmap.h"
#include "transform.h"

typedef struct slot {
  char *name;          /* source name (NULL for temps) */
  char *cname;         /* C name in the step function */
  char *fname;         /* its field in the locals area (unique) */
  char *decl;          /* its declaration: where the source has it (temps, parameters: at the top) */
  char *align;         /* its alignas qualifiers, for its field ("" if none) */
  uint32_t decl_byte;  /* visible from here ... */
  uint32_t scope_end;  /* ... to here (temps: unused) */
  uint32_t init_end;   /* the end of its initialiser: before it, it holds no value yet */
  TSNode decl_node;    /* declaration (or parameter_declaration) */
  TSNode declarator;
  bool is_param;
  bool is_temp;
  bool is_static;      /* static/extern locals: never spilled */
  bool in_L;           /* lives in the locals area */
  bool needs_L;        /* has an L field */
  bool is_shadow;      /* declared inside a go { } block: not the spawner's */
  int nspills;         /* suspension points that spill it (lower_stmt.c) */
  bool in_place;       /* declared in a statement expression with no suspension: kept there, by its name */
  TSNode cleanup;      /* its __attribute__((cleanup(f))), or null */
  bool cleanup_managed;   /* the attribute is dropped, and the lowering calls cleanup_fn(&v) at each exit of its scope */
  char *cleanup_fn;
  bool cleanup_refused;
  bool top_const;
  bool is_register;    /* declared register, which the lowering drops: its address is refused as C refuses it */      /* a const of its own that the lowering drops: a write is refused as C refuses it */
  uint32_t *refs;      /* byte positions of the identifiers naming it */
  int nrefs;
} slot;

typedef struct loopctx {
  const char *cont_label;     /* NULL: plain continue works */
  struct loopctx *up;
} loopctx;

/* The resume points inside a loop's body (lower_stmt.c): a resume enters
 * the loop through its header, and a dispatch at the top of the body jumps
 * on to the resume label, or to the entry of the inner loop that holds it,
 * so no label inside a loop is a target of the prologue's goto *. */
typedef struct route {
  int *ks;            /* resume indexes */
  char **to;          /* the label the dispatch jumps to for ks[i] */
  int n, cap;
  struct route *up;   /* the enclosing loop's, or NULL */
  uint32_t entry_pos; /* a byte where the entry label is: what is visible there is reloaded there */
  int *rslots;        /* the slots reloaded at the entry */
  int nrs, rscap;
  buf rtext;          /* their reloads */
} route;

typedef struct fnctx {
  program *p;
  const source *s;
  fninfo *fn;
  slot *slots;
  int nslots;
  idmap slot_at;   /* identifier's start byte + 1 -> slot index */
  char **free_names;
  int nfree;
  buf temps;           /* hoisted locals, then temps, in order */
  int nresume;         /* resume points so far (0 is the entry) */
  int ntemp;
  int *live;           /* temp slots live at this point of the statement */
  int nlive, live_cap;
  loopctx *loops;
  route *route;        /* the innermost loop's routing, NULL outside loops */
  char **resume_to;    /* resume index -> the label goc_resume names (NULL: goc_R<K>) */
  int resume_to_cap;
  unsigned char *recv_fin;   /* resume index -> 1: a receive the dispatch finishes (goc_rf) */
  int recv_fin_cap;
  int nrecv_expr;      /* receives in expressions lowered so far */
  bool routed;         /* some resume point is routed: goc_rs is declared */
  int nlabels;
  bool in_stmt_expr;
  bool quiet;          /* analysis only (plain spawners): no diagnostics */
  int cur_line;        /* .goc line of the statement being lowered */
  const char *cur_file;
  int nthunks;         /* go through pointers: thunk frames run by this step */
  uint32_t (*loops_span)[2];   /* [start, end) of every loop statement */
  int nloops_span;
  uint32_t *tren_pos;   /* type names renamed: a second local type of one name */
  char **tren_to;
  int ntren;
  uint32_t (*opaque_span)[2];  /* statement expressions whose locals stay in place */
  int nopaque_span;
  bool has_goto;       /* a goto anywhere: liveness falls back to visibility */
  bool drop_cleanup;   /* rewriting a managed cleanup local's declaration: without its attribute */
  bool managed_cleanups;   /* some slot is cleanup_managed */
  bool label_values;   /* &&label: the resume dispatch's goto * may reach the user's labels too */
  bool names_func;     /* __func__ (__FUNCTION__, __PRETTY_FUNCTION__): goc__func, the user's name */
  /* The start of the outermost statement being lowered: its expressions'
   * residuals run after their pre-statements, so any reference from here
   * on may be read after a suspension inside it. */
  uint32_t stmt_floor;
  int stmt_depth;
  uint32_t pos;        /* a byte of the source being lowered: which local a name means there */
  uint32_t decl_name_pos;   /* rewrite writes the identifier here as decl_name_as */
  const char *decl_name_as;
  /* Inside a strip-mined loop's body (which has no loop of its own, and
   * outside any switch there): break leaves the chunk loop too, through
   * this label. */
  const char *break_label;
  bool break_used;
  int unchecked;       /* inside a bounded nest: loops as written, no checks */
  /* The inner loop of a loop written twice (invariant_inner, lower_for):
   * its strip-mined lowering into `out` is at [beg, end), and `loop` is
   * its short count alone, for when `test` holds before the outer loop. */
  struct {
    TSNode node, start, type;
    const buf *out;
    size_t beg, end;
    char *test, *loop;
  } fast;
  bool at_file_scope;  /* declarations for a lifted block's frame: no tags of the step function */
  buf thunk_structs, thunk_dispatch;
  /* has_susp's answers by node id: the lowering asks it at every level of
   * an expression, for the subtree */
  idmap susp;
} fnctx;

/* lower_stmt.c: resume points routed through loop headers */
void route_push(fnctx *fx, route *r, uint32_t entry_pos);
int route_pop(fnctx *fx, route *r);
void route_entry(route *r, int id, buf *out);
void route_dispatch(route *r, int id, buf *out);
void route_forever(fnctx *fx, route *r, const buf *body, buf *out);
void emit_standin(fnctx *fx, const char *test, TSNode at, const char *call, buf *out);

/* rewrite.c */
/* RW_TOP: for the top of the step function, where a local is not in scope
 * yet: a local is written (*(goc_T<slot> *)0), an lvalue of its type. */
typedef enum { RW_EXPR, RW_DECL, RW_TYPEOF, RW_TOP } rw_mode;
void rewrite_node(const source *s, fnctx *fx, rw_mode mode, TSNode n, buf *out);
char *rewrite_str(const source *s, fnctx *fx, rw_mode mode, TSNode n);
void rewrite_range(const source *s, fnctx *fx, rw_mode mode, TSNode n, uint32_t a, uint32_t b, buf *out);
/* [a, b) of the text under n; skip == "storage" drops storage classes. */
void emit_rewritten_range(const source *s, TSNode n, uint32_t a, uint32_t b, buf *out, const char *skip);
char *typeof_text(const fnctx *fx, const char *expr);   /* "(goc_L->f)" -> "(x)" */
char *compound_literal_in_frame(fnctx *fx, const char *lit, const char *lit_typeof);

extern program *rewrite_program;   /* for go statements in plain functions */
fninfo *called_goroutine(fnctx *fx, TSNode call);

/* analyse.c */
char *attribute_without_cleanup(const source *s, TSNode attr);   /* NULL: nothing else in it */
bool attribute_names_cleanup(const source *s, TSNode attr);   /* names cleanup (or __cleanup__) */
void analyse_function(fnctx *fx);
int slot_of_ident(const fnctx *fx, TSNode ident);   /* -1 if not a local */
bool in_opaque(const fnctx *fx, uint32_t pos);
const char *renamed_type(const fnctx *fx, TSNode type_name);   /* NULL: as written */

/* typedefs.c */
bool type_is_array_typedef(const source *s, TSNode type);
void typedefs_forget(const source *s);   /* s's table, to be read again */
/* constsize.c: whether an array size is an integer constant expression
 * (false: the array is variable-length) */
bool size_is_constant(const fnctx *fx, TSNode size);
void constsize_forget(const source *s);
/* chan_make(x, n) parses as the channel syntax whenever x could be a type
 * name: x's node when the element is such a bare name, else a null node. */
TSNode chan_make_bare_name(TSNode chan_make_expr);
/* Whether a bare name may name a type: some typedef of the translation
 * unit (at any scope) has it, or it is reserved to the implementation.
 * Else chan_make(x, n) calls the user's own function chan_make, as it does
 * when x is a local in scope (which hides any typedef of its name). */
bool name_may_be_type(const source *s, TSNode name);
/* Whether slot k may be read after a suspension at byte pos (a reference
 * after pos, or one inside a loop around pos; everything with a goto). */
bool slot_live_after(const fnctx *fx, int k, uint32_t pos);
int new_temp_typed(fnctx *fx, const char *type_expr, bool in_L);
/* The operand of a __typeof__ at the top of the step function naming what
 * type_expr names at fx->pos. */
char *top_type(const fnctx *fx, const char *type_expr);
/* Declared where the source declares it (not a parameter, temp, static,
 * statement-expression or go-block local). */
bool declared_in_place(const slot *sl);
/* The declaration of in_L slot k's twin: its type is named
 * goc_in_L__FNAME, which tells a debugger (goc-gdb.py) that the local's
 * value is (goc_L->FNAME), not the twin's own bytes. */
char *twin_decl(const fnctx *fx, int k);
void live_push(fnctx *fx, int slot);

/* sysfuncs.c: functions a system header declares (libc, libm) */
bool declared_by_system_header(const source *s, const char *name);
/* sysfuncs.c: the identifier a declaration's declarator d declares as a
 * function (through pointers, arrays, parentheses), or a null node. */
TSNode declared_function_name(TSNode d);
bool declared_by_libm(const source *s, const char *name);

/* counted.c: an innermost counted loop `for (init; var OP bound; step)`,
 * which lower_for strip-mines into chunks of `chunk` iterations with one
 * preemption check per chunk. */
typedef struct counted {
  TSNode var;               /* the counter, as the condition names it */
  TSNode bound;
  bool down;                /* counts down to the bound */
  bool incl;                /* <= or >= */
  unsigned long long step;  /* its magnitude */
  int chunk;                /* a power of two */
} counted;
bool counted_loop(fnctx *fx, TSNode for_stmt, counted *out);
/* A counted loop nest whose trip counts have constant bounds and whose
 * whole run is short: lowered with no check at all (the loop around it,
 * or the function's entry, has one). */
bool bounded_nest(fnctx *fx, TSNode for_stmt);
/* A loop whose body's only loop, at its top level, is a strip-mined loop
 * that starts from the same value against the same bound in every
 * iteration (the start, and the type of a counter declared there, or a
 * null type for one declared before the loop): lowered twice. */
bool invariant_inner(fnctx *fx, TSNode loop, TSNode *inner, TSNode *start, TSNode *type);

/* callcheck.c: every iteration of the loop calls a goroutine function
 * (whose entry checks for preemption), so it needs no check of its own. */
bool iteration_calls_goroutine(fnctx *fx, TSNode loop);

/* lower_expr.c */
bool has_susp(fnctx *fx, TSNode n);
char *lower_expr(fnctx *fx, TSNode n, buf *out);       /* pre-statements to out */
void lower_expr_returned_in_void(fnctx *fx, TSNode n, buf *out);
void lower_expr_discard(fnctx *fx, TSNode n, buf *out); /* an expression statement */

/* lower_stmt.c */
void lower_stmt(fnctx *fx, TSNode n, buf *out);
void emit_line(fnctx *fx, TSNode n, buf *out);
/* Writes the spill, the resume point and the reload for a suspension at n.
 * The code before it must have made the runtime park the G (or called
 * goc__call / goc__preempt). */
void emit_frame_line(fnctx *fx, TSNode n, buf *out);
void emit_suspend(fnctx *fx, TSNode at, buf *out);
void emit_block_cleanups(fnctx *fx, TSNode block, buf *out);   /* at the end of a block */
void emit_preempt_check(fnctx *fx, TSNode at, buf *out);

/* lower_chan.c */
char *lower_receive(fnctx *fx, TSNode recv, buf *out, bool want);
void lower_send_stmt(fnctx *fx, TSNode n, buf *out);
void lower_receive_stmt(fnctx *fx, TSNode n, buf *out);
void lower_select(fnctx *fx, TSNode n, buf *out);
void lower_for_range(fnctx *fx, TSNode n, buf *out);

/* lower_go.c */
void lower_go(fnctx *fx, TSNode n, buf *out);
void lower_go_plain(const source *s, program *p, TSNode n, buf *out);

/* lower_go.c: the captures of go { } blocks directly in fx's function */
void compute_captures(fnctx *fx, fninfo *lifted);
char *slot_field_decl(fnctx *fx, int k);

/* gofn.c: goroutine functions through pointers (goc.h, GOC_GOFN) */
bool is_gofn_call(const source *s, TSNode call);   /* first argument is GOC_GO */
char *lower_gofn_call(fnctx *fx, TSNode call, buf *out, bool want);
void lower_go_gofn(const source *s, fnctx *fx, TSNode n, TSNode call, buf *out);
void emit_go_start(const source *s, fnctx *fx, TSNode n, const char *ng, buf *out);
void emit_gofn_decl(fninfo *fn, buf *out, bool definition);

/* copylocks.c: a go block's captured locks (caps: slots, first_use: the
 * block's first identifier naming each) */
void warn_captured_locks(fnctx *fx, const int *caps, const TSNode *first_use, int ncaps);
TSNode typedef_declarator(const source *s, TSNode td, const char *name);   /* td's declarator of name, or null */
/* The first definition under n, starting before `before`, of the tag name
 * (kind: "struct_specifier", "union_specifier", "enum_specifier", with a
 * body) or, kind NULL, of the typedef name; function bodies are searched
 * only when in_bodies. Null if none. */
TSNode find_type_definition(const source *s, TSNode n, uint32_t before, bool in_bodies, const char *kind,
                            const char *name);

/* lower_func.c */
char *lower_function(program *p, const source *s, fninfo *fn);
void emit_frame_decl(fninfo *fn, buf *out);
void emit_frame_def(const fninfo *fn, buf *out);

/* program.c helpers */
TSNode declarator_name(TSNode d);
/* The declarator inside d: its declarator field, or a parenthesized one's
 * inner declarator (past attributes). Null for a name. */
TSNode declarator_inner(TSNode d);
TSNode function_declarator_of(TSNode d);
TSNode name_array_declarator(TSNode d);
bool has_storage(const source *s, TSNode decl, const char *word);
bool qualifier_is_const(const source *s, TSNode q);   /* const, __const, __const__ */
void for_each_top_level(TSNode root, void (*f)(TSNode n, void *arg), void *arg);

#endif
