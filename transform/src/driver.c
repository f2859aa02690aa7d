/* driver.c — the goc command: parse, transform, cc, run.
 *
 * goc finds its runtime relative to its own executable: in the build tree
 * <build>/transform/goc uses <build>/include and <build>/runtime/libgoc.a;
 * installed, <prefix>/bin/goc uses <prefix>/include/goc and
 * <prefix>/lib/libgoc.a. GOC_INCLUDE_DIR and GOC_LIB override both. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "transform.h"

static bool exists(const char *p) { struct stat st; return stat(p, &st) == 0; }

/* Whether out names the same file as in (through links too). */
static bool same_file(const char *out, const char *in) {
  struct stat a, b;
  if (stat(out, &a) != 0 || stat(in, &b) != 0) return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Refuses, before anything is written, an output that is one of the inputs. */
static bool output_overwrites_input(const char *out, char **inputs, int n) {
  for (int i = 0; out && i < n; i++)
    if (inputs[i][0] != '-' && same_file(out, inputs[i])) {
      fprintf(stderr, "goc: error: output file %s is the input %s; refusing to overwrite it\n", out, inputs[i]);
      return true;
    }
  return false;
}

const char *goc_self_dir(void) {
  static char dir[PATH_MAX];
  if (dir[0]) return dir;
  ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
  if (n <= 0) diag_fatal("cannot find the goc executable");
  dir[n] = 0;
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0;
  return dir;
}

const char *goc_include_dir(void) {
  static char *dir;
  if (dir) return dir;
  const char *env = getenv("GOC_INCLUDE_DIR");
  if (env && *env) return dir = xstrdup(env);
  char *build = xasprintf("%s/../include", goc_self_dir());
  char *probe = xasprintf("%s/goc_abi.h", build);
  if (exists(probe)) { free(probe); return dir = build; }
  free(probe);
  free(build);
  char *inst = xasprintf("%s/../include/goc", goc_self_dir());
  return dir = inst;
}

/* -race: libgoc_race.a beside libgoc.a (the runtime built with TSan). */
bool goc_race;

const char *goc_lib_path(void) {
  static char *lib;
  if (lib) return lib;
  const char *env = getenv("GOC_LIB");
  if (env && *env) return lib = xstrdup(env);
  const char *name = goc_race ? "libgoc_race.a" : "libgoc.a";
  char *build = xasprintf("%s/../runtime/%s", goc_self_dir(), name);
  if (exists(build)) return lib = build;
  free(build);
  lib = xasprintf("%s/../lib/%s", goc_self_dir(), name);
  if (goc_race && !exists(lib)) {
    /* a build made with GOC_SANITIZE=thread: its libgoc.a is the TSan one */
    free(lib);
    goc_race = false;
    return goc_lib_path();
  }
  return lib;
}

static bool ends_with(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && strcmp(s + a - b, suf) == 0;
}

/* ---- parse ---- */
int cmd_parse(int argc, char **argv) {
  if (argc < 1) { fprintf(stderr, "usage: goc parse FILE.goc\n"); return 2; }
  source *s = source_load(argv[0]);
  if (!s) return 1;
  char *sexp = ts_node_string(ts_tree_root_node(s->tree));
  puts(sexp);
  free(sexp);
  int errs = source_check_syntax(s);
  source_free(s);
  return errs ? 1 : 0;
}

/* ---- transform ---- */
struct xopts {
  const char *depfile;      /* -MF: make-style dependencies of the output */
  const char *index_out;    /* --index-out: this target's goroutine functions */
  char **indexes;           /* --index: those of targets it links */
  int nindexes;
};

static program *new_program(const xopts *xo) {
  program *p = xcalloc(1, sizeof *p);
  char *hdr = xasprintf("%s/goc.h", goc_include_dir());
  program_load_blocking(p, hdr);
  free(hdr);
  for (int i = 0; xo && i < xo->nindexes; i++)
    if (program_read_index(p, xo->indexes[i])) diag_count++;
  return p;
}

program *driver_load_program(char **files, int nfiles, source ***srcs_out, const xopts *xo, char **flags,
                             int nflags) {
  warn_flags_read(flags, nflags);
  program *p = new_program(xo);
  source **srcs = xcalloc((size_t)nfiles + 1, sizeof *srcs);
  for (int i = 0; i < nfiles; i++) {
    srcs[i] = source_preprocess(files[i], flags, nflags);
    if (srcs[i]) source_check_syntax(srcs[i]);
  }
  if (diag_count) { *srcs_out = srcs; return p; }
  for (int i = 0; i < nfiles; i++) program_add_source(p, srcs[i]);
  program_colour(p);
  /* a system header's item that names a goroutine function would need its
     frame before it (lower_file.c): such a source is parsed whole, and
     the program made again from the new trees (this one is left as it is) */
  bool again = false;
  for (int i = 0; i < nfiles; i++)
    if (srcs[i]->nsysitems && sysitems_name_goroutine_fn(p, srcs[i])) {
      source_parse_whole(srcs[i]);
      source_check_syntax(srcs[i]);
      again = true;
    }
  if (again && !diag_count) {
    p = new_program(xo);
    for (int i = 0; i < nfiles; i++) program_add_source(p, srcs[i]);
    program_colour(p);
  }
  *srcs_out = srcs;
  return p;
}

/* Writes through a temporary file and a rename: path is either as it was
 * or complete. */
int driver_write_file(const char *path, const char *text) {
  char *tmp = xasprintf("%s.tmp%d", path, (int)getpid());
  FILE *f = fopen(tmp, "w");
  if (!f) diag_if_oom();
  if (!f) { fprintf(stderr, "goc: error: cannot write %s: %s\n", path, strerror(errno)); free(tmp); return 1; }
  diag_cleanup_file(tmp);   /* a fatal error before the rename removes it */
  bool bad = fputs(text, f) < 0;
  bad |= fclose(f) != 0;
  if (bad || rename(tmp, path) != 0) {
    fprintf(stderr, "goc: error: cannot write %s: %s\n", path, strerror(errno));
    unlink(tmp);
    bad = true;
  }
  diag_cleanup_file(NULL);
  free(tmp);
  return bad ? 1 : 0;
}

/* Lowered C is GNU C (labels as values, statement expressions, line
 * markers into system headers), which -pedantic would report as the
 * user's: its compiles add -Wno-pedantic (the flag's diagnostics of the
 * user's own code in a .goc file are lost with them; plain C files keep
 * theirs). */
#define LOWERED_C_NOT_ISO "-Wno-pedantic"

/* Smaller budgets for gcc's walks over memory in lowered C: a step
 * function's locals that live in goc_L, its frame's line and resume
 * fields and its callees' frames are all memory, so in a long step
 * function every store and load starts a walk over many others. Dead-store
 * elimination (tree DSE: queries per store, default 256), value numbering
 * (FRE: queries per access, default 1000) and cselib (RTL DSE and
 * postreload: memory locations, default 500) spent a third of cc1's time
 * in such walks on csmith programs (bench/NOTES.md). A budget spent keeps
 * the store or the load as it is: only how hard gcc tries changes, not
 * what the program does; the bench programs and examples compile to the
 * same code with them. GocFunctions.cmake passes the same for GNU C. */
static const char *const lowered_c_gcc_budgets[] = {
  "--param=dse-max-alias-queries-per-store=8",
  "--param=sccvn-max-alias-queries-per-access=32",
  "--param=max-cselib-memory-locations=100",
};

/* Whether $CC compiles the lowered text (as the build will, with the
 * channel type check). */
static bool compiler_accepts(const char *text, char **flags, int nflags, bool quiet) {
  char **argv = xcalloc((size_t)nflags + 12, sizeof *argv);
  int na = 0;
  argv[na++] = (char *)c_compiler();
  argv[na++] = "-fsyntax-only";
  argv[na++] = "-Werror=incompatible-pointer-types";
  argv[na++] = "-I";
  argv[na++] = (char *)goc_include_dir();
  for (int i = 0; i < nflags; i++) argv[na++] = flags[i];
  argv[na++] = LOWERED_C_NOT_ISO;
  argv[na++] = "-x";
  argv[na++] = "c";
  argv[na++] = "-";
  size_t n;
  char *out = run_with_stdin(argv, text, strlen(text), &n, quiet);
  free(argv);
  free(out);
  return out != NULL;
}

/* Make-style dependencies of out: the .goc files, the indexes, and every
 * file the preprocessor read for any of the sources. */
static int write_depfile(const char *depfile, const char *out, source **srcs, int nsrcs, char **extra, int nextra) {
  buf b = {0};
  buf_puts(&b, out);
  buf_putc(&b, ':');
  char **seen = NULL;
  int nseen = 0;
  for (int i = 0; i < nextra + nsrcs; i++) {
    const char **files;
    int nf = i < nextra ? 1 : source_files(srcs[i - nextra], &files);
    if (i < nextra) files = (const char **)&extra[i];
    for (int k = 0; k < nf; k++) {
      const char *f = files[k];
      if (f[0] == '<' || !exists(f)) continue;   /* <built-in>, <stdin> */
      bool dup = false;
      for (int j = 0; j < nseen && !dup; j++) dup = !strcmp(seen[j], f);
      if (dup) continue;
      seen = xrealloc(seen, sizeof(char *) * (size_t)(nseen + 1));
      seen[nseen++] = (char *)f;
      buf_puts(&b, " \\\n ");
      for (const char *q = f; *q; q++) {
        if (*q == ' ' || *q == '#') buf_putc(&b, '\\');
        if (*q == '$') buf_putc(&b, '$');
        buf_putc(&b, *q);
      }
    }
  }
  free(seen);
  buf_putc(&b, '\n');
  int rc = driver_write_file(depfile, buf_str(&b));
  buf_free(&b);
  return rc;
}

/* The lowered text checked by libclang; returns whether it has errors
 * (printed in the user's words). libclang speaks clang's dialect and the
 * text is gcc's preprocessor output (its <stdatomic.h>, its warnings that
 * clang makes errors): an error libclang reports stands only if the C
 * compiler agrees; a goroutine function used as a plain pointer always
 * stands. */
static int check_with_libclang(const char *out, const char *c, char **cflags, int ncflags) {
  char *msgs = NULL;
  size_t msglen = 0;
  check_out = open_memstream(&msgs, &msglen);
  if (!check_out) diag_oom();
  int saved = diag_count;
  check_goc_errors = 0;
  int bad = check_lowered(out, c, cflags, ncflags);
  /* a memory stream fails only for want of memory: a write that could
     not grow it, or the final copy (msgs is NULL then) */
  if (fclose(check_out) || !msgs) diag_oom();
  check_out = NULL;
  if (bad && compiler_accepts(c, cflags, ncflags, true)) {
    bad = 0;
    diag_count = saved;
  } else if (bad) {
    fputs(msgs, stderr);
  }
  free(msgs);
  if (check_goc_errors) bad = 1;
  return bad;
}

/* Transforms files[which] with all files analysed together; flags are the
 * compile flags the output will get (for the check). */
typedef enum check_when {
  CHECK_NOW,                /* the output is checked before it is written */
  CHECK_IF_COMPILE_FAILS,   /* the caller compiles it at once */
} check_when;

static int transform_one(char **files, int nfiles, int which, const char *out, char **flags, int nflags,
                         const xopts *xo, check_when when) {
  source **srcs;
  program *p = driver_load_program(files, nfiles, &srcs, xo, flags, nflags);
  if (diag_count) return 1;
  char *c = lower_source(p, srcs[which]);
  if (!c) return 1;
  if (xo && xo->index_out && program_write_index(p, xo->index_out)) {   /* it said why */
    free(c);
    return 1;
  }
  /* The output is preprocessed already: the check needs only the flags
     that change the language (the rest may be gcc's alone). */
  char **cflags = xcalloc((size_t)nflags + 1, sizeof *cflags);
  int ncflags = 0;
  bool forced = false;   /* -include: the output leaves it to the compile */
  for (int i = 0; i < nflags; i++) forced |= !strncmp(flags[i], "-include", 8);
  /* the check reads the forced header again, as the compile will: with
     the flags that find and configure it (-I DIR or -IDIR, ...) */
  static const char *const pre[] = {"-I", "-D", "-U", "-include", "-iquote", "-isystem", "-idirafter"};
  for (int i = 0; i < nflags; i++) {
    const char *f = flags[i];
    if (!strncmp(f, "-std=", 5) || !strcmp(f, "-ansi") || !strcmp(f, "-m32") || !strcmp(f, "-m64") ||
        !strcmp(f, "-funsigned-char") || !strcmp(f, "-fsigned-char")) {
      cflags[ncflags++] = flags[i];
      continue;
    }
    for (size_t k = 0; forced && k < sizeof pre / sizeof *pre; k++) {
      size_t n = strlen(pre[k]);
      if (strncmp(f, pre[k], n)) continue;
      if (f[n]) cflags[ncflags++] = flags[i];   /* joined */
      else if (i + 1 < nflags) cflags[ncflags++] = flags[i], cflags[ncflags++] = flags[++i];
      break;
    }
  }

  char **extra = xcalloc((size_t)nfiles + (size_t)(xo ? xo->nindexes : 0) + 1, sizeof *extra);
  int nextra = 0;
  for (int i = 0; i < nfiles; i++) extra[nextra++] = files[i];
  for (int i = 0; xo && i < xo->nindexes; i++) extra[nextra++] = xo->indexes[i];
  check_program = p;
  int bad = 0;
  if (!getenv("GOC_NO_CHECK")) {
    /* libclang's parse costs as much as the compile's: it runs when the
       text names a goroutine function where the compiler cannot object to
       it, or to explain what the compiler refused. For goc cc the compile
       that follows is the check (driver_cc_build explains a failure). */
    if (check_needs_refscan(p, srcs[which])) {
      bad = check_with_libclang(out, c, cflags, ncflags);
    } else if (when == CHECK_NOW && !compiler_accepts(c, cflags, ncflags, true)) {
      bad = check_with_libclang(out, c, cflags, ncflags);
      /* nothing to say in the user's words: the compiler's own messages
         (at .goc lines, through the #line directives) */
      if (!bad) bad = !compiler_accepts(c, cflags, ncflags, false);
    }
  }
  if (!bad && xo && xo->depfile) bad = write_depfile(xo->depfile, out, &srcs[which], 1, extra, nextra);
  free(extra);
  free(cflags);
  if (bad) {
    free(c);
    return 1;
  }
  int rc = driver_write_file(out, c);
  free(c);
  return rc;
}

int cmd_transform(int argc, char **argv) {
  const char *out = NULL;
  char **files = xcalloc((size_t)argc + 1, sizeof *files);
  int nfiles = 0;
  char **flags = NULL;
  int nflags = 0;
  xopts xo = {0};
  xo.indexes = xcalloc((size_t)argc + 1, sizeof(char *));
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
    else if (!strcmp(argv[i], "-MF") && i + 1 < argc) xo.depfile = argv[++i];
    else if (!strcmp(argv[i], "--index-out") && i + 1 < argc) xo.index_out = argv[++i];
    else if (!strcmp(argv[i], "--index") && i + 1 < argc) xo.indexes[xo.nindexes++] = argv[++i];
    else if (!strcmp(argv[i], "--peer") && i + 1 < argc) files[nfiles++] = argv[++i];
    else if (!strcmp(argv[i], "--")) { flags = argv + i + 1; nflags = argc - i - 1; break; }
    else if (argv[i][0] == '-') { fprintf(stderr, "goc transform: unknown option %s\n", argv[i]); return 2; }
    else {
      /* the file to transform goes first */
      memmove(files + 1, files, sizeof(char *) * (size_t)nfiles);
      files[0] = argv[i];
      nfiles++;
    }
  }
  if (out && output_overwrites_input(out, files, nfiles)) return 1;
  if (xo.depfile && output_overwrites_input(xo.depfile, files, nfiles)) return 1;
  flags = cmake_flags_expand(flags, nflags, &nflags);
  if (!nfiles || !out) {
    fprintf(stderr, "usage: goc transform IN.goc -o OUT.c [--peer OTHER.goc]... [-MF DEPFILE]\n"
                    "                     [--index-out INDEX] [--index DEP_INDEX]... [-- compile flags]\n");
    return 2;
  }
  return transform_one(files, nfiles, 0, out, flags, nflags, &xo, CHECK_NOW);
}

/* ---- cc ---- */
typedef struct argv_t { char **v; int n, cap; } argv_t;
static void av_push(argv_t *a, const char *s) {
  if (a->n + 2 > a->cap) {
    a->cap = a->cap ? a->cap * 2 : 32;
    a->v = xrealloc(a->v, sizeof(char *) * (size_t)a->cap);
  }
  a->v[a->n++] = xstrdup(s);
  a->v[a->n] = NULL;
}

char *driver_tmpdir(void) {
  const char *base = getenv("TMPDIR");
  char *t = xasprintf("%s/goc-XXXXXX", base && *base ? base : "/tmp");
  if (!mkdtemp(t)) diag_fatal("cannot create a temporary directory: %s", strerror(errno));
  diag_cleanup_dir(t);
  return t;
}

/* Removes name (relative to dirfd) and, if it is a directory, everything
 * under it; returns whether all of it went. */
static bool remove_tree(int dirfd, const char *name) {
  if (!unlinkat(dirfd, name, 0)) return true;
  if (errno == ENOENT) return true;
  if (errno != EISDIR && errno != EPERM) return false;
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  DIR *d = fdopendir(fd);
  if (!d) { close(fd); return false; }
  bool ok = true;
  for (struct dirent *e; (e = readdir(d));)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) ok = remove_tree(fd, e->d_name) && ok;
  closedir(d);
  return ok && !unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* In-process (no rm to start); what that cannot remove (a directory it
 * cannot open for want of memory, say), rm -rf removes. */
void driver_rm_rf(const char *dir) {
  diag_cleanup_dir(NULL);
  if (remove_tree(AT_FDCWD, dir)) return;
  char *v[] = {"rm", "-rf", (char *)dir, NULL};
  run_argv(v);
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

/* An input the compiler only links: anything else ($CC decides by its
 * suffix: .c, .i, .s, .S, …) is compiled. */
static bool is_object_or_library(const char *f) {
  return ends_with(f, ".o") || ends_with(f, ".a") || ends_with(f, ".so") || !strncmp(f, "-l", 2) ||
         !strncmp(f, "-Wl,", 4) || strstr(f, ".so.");
}

/* Whether $CC is gcc (its --version names the FSF, not clang): asked once,
 * by the driver alone (no cc1), only by goc cc. */
bool compiler_is_gcc(void) {
  static int known = -1;
  if (known >= 0) return known;
  char *argv[] = {(char *)c_compiler(), "--version", NULL};
  size_t n;
  char *out = run_with_stdin(argv, "", 0, &n, true);
  known = out && strstr(out, "Free Software Foundation") && !strstr(out, "clang");
  free(out);
  return known;
}

/* $CC with the runtime's headers and the user's flags; compile_only adds
 * -c. For lowered C, also the channel type check (a directional channel
 * converted the wrong way discards a qualifier: clang's
 * -Wincompatible-pointer-types), LOWERED_C_NOT_ISO and, for gcc,
 * LOWERED_C_GCC_BUDGETS. A plain C
 * file gets none of them, so that it compiles and warns as with $CC alone
 * (clang counts a discarded const among -Wincompatible-pointer-types, gcc
 * an incompatible pointer: both only warnings in C). */
static void cc_command(argv_t *cc, const argv_t *flags, bool compile_only, bool lowered) {
  av_push(cc, c_compiler());
  if (compile_only) av_push(cc, "-c");
  av_push(cc, "-I");
  av_push(cc, goc_include_dir());
  if (lowered) av_push(cc, "-Werror=incompatible-pointer-types");
  if (lowered && compiler_is_gcc())
    for (size_t k = 0; k < sizeof lowered_c_gcc_budgets / sizeof *lowered_c_gcc_budgets; k++)
      av_push(cc, lowered_c_gcc_budgets[k]);
  for (int k = 0; k < flags->n; k++) av_push(cc, flags->v[k]);
  if (lowered) av_push(cc, LOWERED_C_NOT_ISO);
}

/* Runs a compile of lowered C, which transform_one did not check: its
 * messages are held back; if it fails, each .goc file is transformed again
 * with the check, whose messages speak of the user's code, and only if
 * none has anything to say are the compiler's own shown. */
typedef struct build_ctx {
  char **gocs;
  int ngoc;
  argv_t *flags;
  const char *workdir;
} build_ctx;

static int compile_lowered(argv_t *cc, const build_ctx *bx) {
  char *errs = xasprintf("%s/cc.stderr", bx->workdir);
  if (isatty(2)) av_push(cc, "-fdiagnostics-color=always");   /* held back, not lost */
  bool quiet = nowarn_applies(cc->v);
  char **v = quiet ? nowarn_argv(cc->v) : cc->v;
  int rc = run_argv_stderr(v, errs);
  if (quiet) {
    nowarn_filter(errs);
    free(v);
  }
  bool explained = false;
  if (rc) {
    diag_no_warnings = true;   /* the first transform gave them */
    char *scratch = xasprintf("%s/check.c", bx->workdir);
    for (int i = 0; i < bx->ngoc && !explained; i++)
      explained = transform_one(bx->gocs, bx->ngoc, i, scratch, bx->flags->v, bx->flags->n, NULL, CHECK_NOW) != 0;
    free(scratch);
  }
  for (int i = 0; !rc && cc->v[i]; i++)
    if (!strcmp(cc->v[i], "-o") && cc->v[i + 1]) diag_cleanup_output(cc->v[i + 1]);
  if (!explained) relay_cc_diagnostics(errs, cc->v, bx->workdir);
  free(errs);
  return rc;
}

/* Builds; returns the exit status. keep_dir: where the .c files go. */
int driver_cc_build(int argc, char **argv, const char *workdir) {
  argv_t flags = {0}, inputs = {0};
  char **gocs = xcalloc((size_t)argc + 1, sizeof *gocs);
  int ngoc = 0;
  const char *out = NULL;
  bool compile_only = false;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-o") && i + 1 < argc) { out = argv[++i]; continue; }
    if (!strcmp(a, "-c")) { compile_only = true; continue; }
    if (!strcmp(a, "-race")) {
      /* as go build -race: TSan for the program and the runtime */
      goc_race = true;
      av_push(&flags, "-fsanitize=thread");
      continue;
    }
    /* libraries link after the objects that need them, in order */
    if (!strncmp(a, "-l", 2) || !strncmp(a, "-Wl,", 4)) {
      av_push(&inputs, a);
      if (!strcmp(a, "-l") && i + 1 < argc) av_push(&inputs, argv[++i]);
      continue;
    }
    if ((!strcmp(a, "-I") || !strcmp(a, "-D") || !strcmp(a, "-U") || !strcmp(a, "-include") ||
         !strcmp(a, "-isystem") || !strcmp(a, "-iquote") || !strcmp(a, "-idirafter") || !strcmp(a, "-L")) &&
        i + 1 < argc) {
      av_push(&flags, a);
      av_push(&flags, argv[++i]);
      continue;
    }
    if (a[0] == '-') { av_push(&flags, a); continue; }
    if (ends_with(a, ".goc")) gocs[ngoc++] = (char *)a;
    else av_push(&inputs, a);
  }
  if (!ngoc && !inputs.n) { fprintf(stderr, "goc cc: no input files\n"); return 2; }
  if (output_overwrites_input(out, gocs, ngoc) || output_overwrites_input(out, inputs.v, inputs.n)) return 1;
  /* The lowered C is compiled from a temporary directory: "x.h" includes
     next to each .goc must still be found there. */
  for (int i = 0; i < ngoc; i++) {
    char *dir = xstrdup(gocs[i]);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0; else strcpy(dir, ".");
    av_push(&flags, "-iquote");
    av_push(&flags, dir);
    free(dir);
  }
  /* transform every .goc, analysed together */
  build_ctx bx = {gocs, ngoc, &flags, workdir};
  argv_t cfiles = {0};
  for (int i = 0; i < ngoc; i++) {
    char *stem = xstrdup(base_name(gocs[i]));
    stem[strlen(stem) - 4] = 0;
    char *cpath = xasprintf("%s/%d_%s.c", workdir, i, stem);
    if (transform_one(gocs, ngoc, i, cpath, flags.v, flags.n, NULL, CHECK_IF_COMPILE_FAILS)) return 1;
    if (compile_only) {
      char *obj = (out && ngoc == 1 && !inputs.n) ? xstrdup(out) : xasprintf("%s.o", stem);
      argv_t cc = {0};
      cc_command(&cc, &flags, true, true);
      av_push(&cc, cpath);
      av_push(&cc, "-o");
      av_push(&cc, obj);
      int rc = compile_lowered(&cc, &bx);
      if (rc) return rc;
    }
    av_push(&cfiles, cpath);
    free(stem);
  }
  if (compile_only) {
    if (!inputs.n) return 0;
    argv_t cc = {0};
    cc_command(&cc, &flags, true, false);
    int nsrc = 0;
    for (int k = 0; k < inputs.n; k++)
      if (strncmp(inputs.v[k], "-l", 2) && strncmp(inputs.v[k], "-Wl,", 4)) { av_push(&cc, inputs.v[k]); nsrc++; }
    if (!nsrc) return 0;
    if (out && !ngoc && nsrc == 1) { av_push(&cc, "-o"); av_push(&cc, out); }
    return run_argv(cc.v);
  }
  /* With plain C sources in the same command, the lowered C is compiled
     on its own first, so that only it gets cc_command's lowered flags
     (and loses -pedantic). */
  bool plain_sources = false;
  for (int k = 0; k < inputs.n; k++) plain_sources = plain_sources || !is_object_or_library(inputs.v[k]);
  if (plain_sources) {
    for (int k = 0; k < cfiles.n; k++) {
      char *obj = xasprintf("%s.o", cfiles.v[k]);
      argv_t one = {0};
      cc_command(&one, &flags, true, true);
      av_push(&one, cfiles.v[k]);
      av_push(&one, "-o");
      av_push(&one, obj);
      int rc = compile_lowered(&one, &bx);
      if (rc) return rc;
      cfiles.v[k] = obj;
    }
  }
  argv_t cc = {0};
  cc_command(&cc, &flags, false, !plain_sources);
  for (int k = 0; k < cfiles.n; k++) av_push(&cc, cfiles.v[k]);
  for (int k = 0; k < inputs.n; k++) av_push(&cc, inputs.v[k]);
  av_push(&cc, goc_lib_path());
  av_push(&cc, "-lpthread");
  av_push(&cc, "-lz");   /* libgoc gzips its profiles */
  av_push(&cc, "-lm");
  av_push(&cc, "-o");
  av_push(&cc, out ? out : "a.out");
  int rc = compile_lowered(&cc, &bx);
  /* gdb then finds goroutine locals' live storage by itself; a file it
     cannot rewrite keeps gcc's debug info, which goc-gdb.py copes with */
  if (!rc) debuginfo_live_twins(out ? out : "a.out");
  return rc;
}

int cmd_cc(int argc, char **argv) {
  char *dir = driver_tmpdir();
  int rc = driver_cc_build(argc, argv, dir);
  if (!getenv("GOC_KEEP")) driver_rm_rf(dir);
  else fprintf(stderr, "goc: kept %s\n", dir);
  free(dir);
  return rc;
}

int cmd_run(int argc, char **argv) {
  int split = argc;
  for (int i = 0; i < argc; i++)
    if (!strcmp(argv[i], "--")) { split = i; break; }
  char *dir = driver_tmpdir();
  char *exe = xasprintf("%s/prog", dir);
  argv_t b = {0};
  for (int i = 0; i < split; i++) av_push(&b, argv[i]);
  av_push(&b, "-o");
  av_push(&b, exe);
  int rc = driver_cc_build(b.n, b.v, dir);
  if (rc) { driver_rm_rf(dir); return rc; }
  argv_t r = {0};
  av_push(&r, exe);
  for (int i = split + 1; i < argc; i++) av_push(&r, argv[i]);
  /* run, then clean up */
  pid_t pid = fork();
  if (pid == 0) {
    execv(exe, r.v);
    fprintf(stderr, "goc run: cannot run %s: %s\n", exe, strerror(errno));
    _exit(127);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  if (!getenv("GOC_KEEP")) driver_rm_rf(dir);
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return 128 + WTERMSIG(st);
}
