/* transform.h — the transformer's stages and the data that flows between
 * them: source (text + syntax tree) -> program (functions, colouring) ->
 * per-function analysis (locals, scopes) -> lowered C.
 *
 * Invariants:
 *   - A source's tree is never edited; every stage reads nodes and writes
 *     new text into bufs.
 *   - Diagnostics go through diag_error; a stage that reported an error may
 *     keep going to find more, but no output file is written.
 */
#ifndef GOC_TRANSFORM_H
#define GOC_TRANSFORM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <tree_sitter/api.h>
#include "buf.h"
#include "idmap.h"

/* ---- source.c ---- */
typedef struct srcmap srcmap;   /* preprocess.c: rows of text -> user files */
typedef struct sysfunc { char *name; bool in_libm; } sysfunc;   /* sysfuncs.c */
typedef struct nodetab nodetab;   /* nodes.c: the whole tree, read once */
/* sysitems.c: a top-level item of the system headers that tree-sitter did
 * not parse (bytes, the row it starts on, whether the whole parse's root
 * has it as a named child); a typedef of them (array: its declarator makes
 * an array; alias: the bare name of a typedef name, whose reading decides);
 * an identifier of them */
typedef struct sysitem { uint32_t start, end, row; bool named; } sysitem;
typedef struct systypedef { char *name; bool array; char *alias; } systypedef;
typedef struct sysident { uint32_t at, len; } sysident;
typedef struct source {
  char *path;       /* as given on the command line */
  char *text;       /* the preprocessed translation unit (see preprocess.c) */
  uint32_t len;
  TSParser *parser;
  TSTree *tree;
  srcmap *map;      /* NULL: text is the file itself (goc parse, the fuzzer) */
  sysfunc *sysfuncs; /* functions its system headers declare, sorted by
                       name; NULL until sysfuncs.c first asks */
  int nsysfuncs;
  /* node_parent's and node_field's answers so far: parent_at maps a node's
     id, field_at its id and a field's, to 1 + the answer's index in
     answers */
  idmap parent_at, field_at;
  TSNode *answers;
  uint32_t answers_cap, nanswers;
  idmap kids_at;    /* kids.c: a node's id -> its named children */
  /* every identifier node, in the order of a walk of the whole tree:
     source_check_syntax's walk records them (idents_done once it has
     seen the whole tree), so that later scans for names need no walk */
  TSNode *idents;
  uint32_t nidents, idents_cap;
  bool idents_done;
  nodetab *nodes;   /* NULL until source_check_syntax's walk completes */
  /* the system headers' items left out of the tree (sysitems.c), in text
     order, with what the transformer takes from them */
  sysitem *sysitems;
  uint32_t nsysitems, sysitems_cap;
  sysfunc *sysdecls;   /* the functions they declare */
  int nsysdecls;
  systypedef *systypedefs;
  int nsystypedefs, systypedefs_cap;
  sysident *sysidents;
  uint32_t nsysidents, sysidents_cap;
} source;

source *source_load(const char *path);   /* NULL (and a diagnostic) on failure */
bool input_is_readable_file(const char *path);   /* else a diagnostic */
char *read_input(const char *path, size_t *len); /* NULL after a diagnostic */
char *file_text(const char *path, size_t *len);  /* NULL if it cannot be opened; no diagnostic */
source *source_from_text(const char *path, const char *text, size_t len);
source *source_new(const char *path, const char *text, size_t len);   /* not parsed yet */
/* sysitems.c: s's text parsed, its system headers' plain items read
 * without tree-sitter where that gives the whole parse's answers */
void source_parse(source *s);
void source_parse_whole(source *s);   /* again, all of it by tree-sitter (memos forgotten) */
void source_forget_system_items(source *s);
typedef struct program program;
bool sysitems_name_goroutine_fn(const program *p, const source *s);   /* an identifier of them names one */
void source_free(source *s);
char *node_text(const source *s, TSNode n);
/* Whether sym (a ts_node_symbol) is the node type named type, a string
 * literal: its ids are looked up once per use, where ts_node_type and
 * strcmp cost more than the rest of a pass's visit of a node. A name may
 * be a named and an anonymous symbol both ("ERROR" is neither). */
typedef struct symname { TSSymbol named, anon; bool ready; } symname;
void symname_lookup(symname *c, const char *type);
#define sym_is(sym, type) ({ \
    static symname goc_sn_; \
    TSSymbol goc_sym_ = (sym); \
    if (!goc_sn_.ready) symname_lookup(&goc_sn_, "" type ""); \
    goc_sym_ && (goc_sym_ == goc_sn_.named || goc_sym_ == goc_sn_.anon); })
/* n is not null and its type is type (a string literal). */
#define node_is(n, type) ({ \
    TSNode goc_nd_ = (n); \
    !ts_node_is_null(goc_nd_) && sym_is(ts_node_symbol(goc_nd_), type); })
bool node_text_is(const source *s, TSNode n, const char *text);   /* n spells exactly text */
/* n's child in field, a string literal (a null node if absent): the
 * field's id is looked up once per use. */
typedef struct fieldname { TSFieldId id; bool ready; } fieldname;
void fieldname_lookup(fieldname *c, const char *field);
TSNode node_field_id(TSNode n, TSFieldId f);
#define node_field(n, field) ({ \
    static fieldname goc_fn_; \
    if (!goc_fn_.ready) fieldname_lookup(&goc_fn_, "" field ""); \
    node_field_id((n), goc_fn_.id); })
/* Where n starts in the user's files: 1-based line and column, and the
 * file (the .goc file, or a header it includes). */
void node_pos(TSNode n, int *line, int *col);
const char *node_file(TSNode n);
int node_line(TSNode n, const char **file);   /* file may be NULL */
/* A #line directive (or line marker) naming n's position. */
void buf_put_node_line(buf *b, TSNode n);
bool node_in_system_header(TSNode n);
const source *source_of(TSNode n);
/* ts_node_parent, remembered: it starts from the root, so each call scans
 * the thousands of declarations of a preprocessed file. */
TSNode node_parent(TSNode n);

/* ---- kids.c: a node's children, read once (see there) ---- */
typedef struct kids {
  TSNode *at;
  uint32_t n;
  bool own;              /* at is k's (else the source's memo) */
  TSNode small[8];
} kids;
void kids_named(TSNode n, kids *k);   /* ts_node_named_child(n, 0 .. count-1) */
void kids_free(kids *k);
void kids_forget(idmap *m);   /* a source's memo, freed */

/* ---- nodes.c: every node of a source's tree, its children, parent and
 * field, recorded by source_check_syntax's walk (see there). Each lookup
 * answers NULL / false when n is not in s's table (s has none yet). */
nodetab *nodes_begin(uint32_t estimate);   /* a walk starts (estimate: of the nodes) */
/* The walk's nodes, each with ts_node_child_count of it (kc): the root,
 * then each node as child i of the node in slot parent; returns its slot. */
uint32_t nodes_root(nodetab *t, TSNode root, uint32_t kc);
uint32_t nodes_child(nodetab *t, uint32_t parent, uint32_t i, TSNode n, uint32_t kc);
void nodes_finish(source *s, nodetab *t);   /* the table becomes s's */
void nodes_abandon(nodetab *t);              /* a walk that stopped */
void nodes_free(source *s);
void nodes_verify(const source *s);   /* fatal if the table is not libtree-sitter's tree */
const TSNode *nodes_children(const source *s, TSNode n, uint32_t *count);   /* every child */
const TSNode *nodes_named_children(const source *s, TSNode n, uint32_t *count);
bool nodes_parent(const source *s, TSNode n, TSNode *parent);
bool nodes_child_field(const source *s, TSNode n, uint32_t i, TSFieldId *field);   /* 0: none */
TSNode nodes_descendant_at(const source *s, TSNode n, uint32_t pos);   /* innermost holding byte pos */

/* ---- direction checks (lower_chan.c records them, check.c reports) ----
 * Every channel operation the lowering writes converts its channel operand
 * through GOC__RECV_CHAN(id, ch) or GOC__SEND_CHAN(id, ch) (goc_abi.h),
 * which the C compiler refuses for a channel of the wrong direction; id
 * names the record here, so the error speaks of the user's operand. */
typedef struct dircheck {
  const char *file;
  TSNode operand;   /* its position is worked out only for an error */
  char *text;       /* the operand as written (after preprocessing) */
  const char *op;   /* "receive", "send" or "range" */
} dircheck;
extern dircheck *dirchecks;
extern int ndirchecks;
int dircheck_add(TSNode operand, const char *op);

/* ---- preprocess.c ---- */
/* The .goc file through the C preprocessor with the compile's flags; NULL
 * (after the preprocessor's diagnostics) on failure. */
source *source_preprocess(const char *path, char **flags, int nflags);
char *premark(const char *text, size_t len, bool fall_through);

/* header_overlay.c: user headers premarked for a second preprocessing */
typedef struct overlay overlay;
overlay *overlay_make(const char *path, const char *input, size_t inlen, char **headers, int nheaders,
                      bool *has_marks);   /* NULL: no user header holds a `<-` (or an error was reported) */
const char *overlay_input(const overlay *o);
char *overlay_twin(const overlay *o, const char *dir);   /* dir's place in the overlay */
void overlay_free(overlay *o);
void source_position(const source *s, uint32_t row, uint32_t col, const char **file, int *line, int *column);
bool source_row_is_system(const source *s, uint32_t row);
int source_system_runs(const source *s, uint32_t **runs);   /* [first, end) rows of each run of system rows */
uint32_t source_row_start(const source *s, uint32_t row);   /* the byte it starts at (s->len past the last) */
uint32_t source_row_of_byte(const source *s, uint32_t at);
void buf_put_row_line(buf *b, const source *s, uint32_t row);   /* buf_put_node_line for a row */
bool source_row_is_forced(const source *s, uint32_t row);   /* from a -include */
void source_line_of(const source *s, uint32_t row, const char **file, int *line);
int source_files(const source *s, const char ***files);
void srcmap_free(srcmap *m);
/* Reports every ERROR/MISSING node; returns how many. */
int source_check_syntax(source *s);   /* and records s->idents */
const char *child_field_name(TSNode n, uint32_t i);

/* ---- diag.c ---- */
extern int diag_count;
extern bool diag_quiet;   /* count, do not print (the fuzzer) */
__attribute__((format(printf, 3, 4)))
void diag_error(const source *s, TSNode at, const char *fmt, ...);
/* file:line:col: warning: …, unless the compile's flags say -w (an error
 * under -Werror, as the compiler's own) or diag_no_warnings is set */
__attribute__((format(printf, 3, 4))) void diag_warning(const source *s, TSNode at, const char *fmt, ...);
extern bool diag_no_warnings;   /* a second transform of the same file (goc cc's check) */
__attribute__((format(printf, 1, 2))) void diag_fatal(const char *fmt, ...);
__attribute__((noreturn)) void diag_oom(void);   /* "goc: error: out of memory", exit 1 */
void diag_if_oom(void);        /* diag_oom() if errno is ENOMEM */
void diag_oom_handlers(void);  /* tree-sitter's, libstdc++'s and LLVM's failures become diag_oom */
void diag_llvm_fatal_handler(void);   /* after clang_createIndex: LLVM's fatal errors become goc's */
void diag_cleanup_dir(const char *dir);    /* removed by a fatal error (NULL: none) */
void diag_cleanup_overlay(const char *dir);   /* the front end's header overlay: likewise */
void diag_cleanup_input(const char *dir);     /* the front end's input copy: likewise */
void diag_cleanup_file(const char *path);  /* unlinked by a fatal error (NULL: none) */
void diag_cleanup_output(const char *path);   /* a built output: unlinked by a later fatal error */

/* ---- program.c: functions across every .goc file of the build ---- */
typedef struct fninfo {
  char *name;
  source *src;          /* the file that defines it (NULL: declared only) */
  TSNode def;           /* function_definition */
  bool is_static;
  bool is_main;
  bool coloured;        /* can block: compiled to a state machine */
  bool returns_void;
  char *fields;         /* frame fields: lowered params and "ret", as C */
  char **params;        /* parameter names, in order */
  int nparams;
  char *ret_decl;       /* "T ret" declaration, NULL if void */
  bool variadic;
  char **param_decls;   /* each parameter as a frame field declaration */
  /* go { } blocks become lifted goroutine functions: */
  bool lifted;
  struct fninfo *spawner;   /* the function whose body holds the block */
  bool *param_is_array;     /* captured arrays are copied, as Go does */
  int *capture_slots;       /* the spawner's slots, in parameter order */
  bool captures_done;
  char *capture_types;      /* file-scope definitions the captures' fields need (or NULL) */
  bool frame_in_functions;  /* a capture's type is the spawner's own: the frame is defined where it is used */
  bool external;        /* defined in another target (read from its index) */
} fninfo;

typedef struct program {
  fninfo **fns;
  int nfns, capfns;
  int *hash_head;           /* by name: first index, then chain through hash_next (-1 ends) */
  int *hash_next;
  int hash_cap;
  char **blocking;          /* GOC_BLOCKING names read from goc.h */
  bool *blocking_void;      /* whether each returns void */
  char **blocking_ret;      /* return type text */
  int nblocking;
} program;

void program_load_blocking(program *p, const char *goc_h_path);
void program_add_source(program *p, source *s);
void program_colour(program *p);
bool program_any_coloured(const program *p, const char *name);   /* some function of that name is */
int program_write_index(const program *p, const char *path);
int program_read_index(program *p, const char *path);
fninfo *program_find(const program *p, const char *name);
void program_push(program *p, fninfo *fn);
fninfo *program_find_in(const program *p, const char *name, const source *from);
fninfo *program_lifted(const program *p, TSNode go_stmt);
int program_blocking_index(const program *p, const char *name);

/* ---- lower_file.c: one source file to C ---- */
/* Returns the lowered C text, or NULL if a diagnostic was reported. */
char *lower_source(program *p, source *s);

/* ---- check.c ---- */
/* Parses the lowered C with libclang and reports its errors at .goc
 * positions; returns how many. */
extern const program *check_program;   /* whose goroutine functions to look for */
extern FILE *check_out;                /* where its messages go (stderr) */
extern int check_goc_errors;           /* goroutine functions used as plain pointers */
int check_lowered(const char *out_name, const char *text, char **flags, int nflags);
bool check_needs_refscan(const program *p, const source *s);

/* ---- warnflags.c ---- */
/* The compile's flags, for the warnings the lowering writes itself. */
void warn_flags_read(char **flags, int nflags);
/* The function whose call at the end of a non-void goroutine function
 * stands for -Wreturn-type, and the preprocessor test under which to
 * write it ("0": never). */
const char *warn_fell_off_end(const char **compiler_test);
/* The preprocessor test under which `return E;` in a void goroutine
 * function or `return;` in a non-void one is reported ("0": never). */
const char *warn_wrong_return(void);
bool warn_return_type_gcc(void);   /* gcc's -Wreturn-type is on (it names the option) */
bool warn_none(void);              /* -w */
bool warn_as_errors(void);         /* -Werror (and no -Wno-error after it) */

/* ---- cmake_flags.c ---- */
/* flags with each `SHELL:a b` item split as CMake splits it (the strings
 * of items left whole are shared with flags) */
char **cmake_flags_expand(char **flags, int nflags, int *nout);

/* ---- subprocess.c ---- */
const char *c_compiler(void);   /* $CC, or cc */
char *run_with_stdin(char **argv, const char *input, size_t inlen, size_t *outlen, bool quiet);
int run_argv(char **argv);      /* exit status (128 + signal) */
int run_argv_stderr(char **argv, const char *errpath);   /* its stderr into errpath */
/* nowarn.c: a compile of lowered C whose command holds -w runs without it
 * (and without the -Werror options it made inert), so that the channel
 * type check still fails it; nowarn_filter then drops from its messages
 * what -w would have silenced. */
bool nowarn_applies(char **argv);   /* -w, and a .c input that names a channel type */
char **nowarn_argv(char **argv);   /* a new vector of argv's strings */
void nowarn_filter(const char *errpath);
/* ccdiag.c: a line of the compiler's messages without its colours'
 * escape sequences. */
char *plain_text(const char *line);
/* the compiler's diagnostics in errpath to stderr, at the .goc lines' own
   columns, naming the user's functions (ccdiag.c) */
void relay_cc_diagnostics(const char *errpath, char **argv, const char *workdir);

/* ---- driver.c ---- */
int cmd_parse(int argc, char **argv);
int cmd_transform(int argc, char **argv);
int cmd_cc(int argc, char **argv);
int cmd_run(int argc, char **argv);
const char *goc_self_dir(void);          /* directory of the goc executable */
const char *goc_include_dir(void);       /* runtime headers */
const char *goc_lib_path(void);          /* libgoc.a (libgoc_race.a with -race) */
extern bool goc_race;                    /* -race was given */
typedef struct xopts xopts;
/* Every file preprocessed, parsed and analysed together (srcs: one per
 * file, NULL where it failed); diag_count says whether it worked. */
program *driver_load_program(char **files, int nfiles, source ***srcs, const xopts *xo, char **flags, int nflags);
int driver_cc_build(int argc, char **argv, const char *workdir);   /* goc cc's work */
bool compiler_is_gcc(void);   /* $CC is gcc (not clang) */
char *driver_tmpdir(void);
void driver_rm_rf(const char *dir);
int driver_write_file(const char *path, const char *text);   /* temp file + rename */

/* ---- debuginfo.c ---- */
/* Points the DWARF location of every twin in the linked ELF file path at
 * its live storage (goc_L->FIELD): the number rewritten, 0 where there is
 * nothing it can rewrite, -1 when path cannot be read or written. */
int debuginfo_live_twins(const char *path);
int cmd_debuginfo(int argc, char **argv);   /* goc debuginfo FILE... */
/* How a lowered file begins (lower_file.c), by which goc launch knows one. */
#define LOWERED_C_FIRST_WORDS "/* Generated by goc from "
int cmd_launch(int argc, char **argv);      /* goc launch COMPILER ARGS... (launch.c) */

/* ---- testcmd.c ---- */
int cmd_test(int argc, char **argv);       /* goc test */
int cmd_testmain(int argc, char **argv);   /* the test binary's table */

#endif
