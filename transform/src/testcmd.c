/* testcmd.c — goc test: find the tests of *_test.goc files, write the test
 * binary's table, build it as goc cc would and run it.
 *
 * Discovery reads the preprocessed, analysed program (so a macro that
 * defines tests works): every function defined in a *_test.goc file whose
 * name is Test or Benchmark followed by anything but a lowercase letter
 * (Go's rule) and whose signature is void (goc_t *) or void (goc_b *).
 * A goroutine function enters the table through its F__gofn companion
 * (gofn.c), a plain one directly; the runtime (testing_main.c) does the
 * rest. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lower.h"

typedef struct testfn {
  char *name;
  bool bench, gofn;
} testfn;

typedef struct found {
  const source *s;
  program *p;
  testfn *v;
  int n;
} found;

static bool ends_with(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && strcmp(s + a - b, suf) == 0;
}

static bool is_test_name(const char *name, const char *prefix) {
  size_t n = strlen(prefix);
  if (strncmp(name, prefix, n)) return false;
  return name[n] == 0 || !islower((unsigned char)name[n]);
}

/* "(goc_t *t)" and its spellings: one parameter, a pointer to want. */
static bool signature_is(const source *s, TSNode def, const char *want) {
  TSNode type = node_field(def, "type");
  TSNode decl = node_field(def, "declarator");
  if (ts_node_is_null(type) || ts_node_is_null(decl) || !node_is(decl, "function_declarator")) return false;
  char *tt = node_text(s, type);
  bool ok = !strcmp(tt, "void");
  free(tt);
  TSNode params = node_field(decl, "parameters");
  if (!ok || ts_node_is_null(params)) return false;
  char *pt = node_text(s, params);
  char *q = pt;
  for (char *r = pt; *r; r++)
    if (!isspace((unsigned char)*r)) *q++ = *r;
  *q = 0;
  size_t wl = strlen(want);
  ok = pt[0] == '(' && !strncmp(pt + 1, want, wl) && pt[1 + wl] == '*';
  if (ok) {
    const char *rest = pt + 2 + wl;
    while (isalnum((unsigned char)*rest) || *rest == '_') rest++;
    ok = !strcmp(rest, ")");
  }
  free(pt);
  return ok;
}

static void visit(TSNode n, void *arg) {
  found *f = arg;
  if (!node_is(n, "function_definition")) return;
  const char *file = node_file(n);
  if (!file || !ends_with(file, "_test.goc")) return;
  TSNode decl = node_field(n, "declarator");
  while (!ts_node_is_null(decl) && !node_is(decl, "function_declarator")) decl = node_field(decl, "declarator");
  if (ts_node_is_null(decl)) return;
  TSNode id = node_field(decl, "declarator");
  if (ts_node_is_null(id) || !node_is(id, "identifier")) return;
  char *name = node_text(f->s, id);
  bool test = is_test_name(name, "Test"), bench = is_test_name(name, "Benchmark");
  if (!strcmp(name, "TestMain")) test = false;   /* Go's hook: not a test (not supported) */
  if (!test && !bench) {
    free(name);
    return;
  }
  const char *want = test ? "goc_t" : "goc_b";
  if (!signature_is(f->s, n, want)) {
    diag_error(f->s, id, "wrong signature for %s, must be: void %s(%s *%s)", name, name, want, test ? "t" : "b");
    free(name);
    return;
  }
  if (has_storage(f->s, n, "static")) {
    diag_error(f->s, id, "%s is static: a test function must have external linkage", name);
    free(name);
    return;
  }
  fninfo *fn = program_find_in(f->p, name, f->s);
  f->v = xrealloc(f->v, sizeof *f->v * (size_t)(f->n + 1));
  f->v[f->n++] = (testfn){name, bench, fn && fn->coloured};
}

/* The table and main of the test binary, as C. */
static char *testmain_text(testfn *v, int n, const char *pkg) {
  buf b = {0};
  buf_puts(&b, "/* The test binary's table, written by goc test. */\n#include <goc.h>\n\n");
  for (int i = 0; i < n; i++) {
    const char *ty = v[i].bench ? "goc_b" : "goc_t";
    if (v[i].gofn) buf_printf(&b, "void %s__gofn(goc_gofn_tag, %s *);\n", v[i].name, ty);
    else buf_printf(&b, "void %s(%s *);\n", v[i].name, ty);
  }
  buf_puts(&b, "\nstatic const goc__testdef goc__tests[] = {\n");
  for (int i = 0; i < n; i++) {
    char *go = v[i].gofn ? xasprintf("%s__gofn", v[i].name) : xstrdup("0");
    const char *plain = v[i].gofn ? "0" : v[i].name;
    if (v[i].bench) buf_printf(&b, "    {\"%s\", 0, 0, %s, %s},\n", v[i].name, go, plain);
    else buf_printf(&b, "    {\"%s\", %s, %s, 0, 0},\n", v[i].name, go, plain);
    free(go);
  }
  buf_puts(&b, "    {0, 0, 0, 0, 0},\n};\n\n");
  buf_printf(&b, "int main(int argc, char **argv) {\n  return goc__testing_main(argc, argv, \"%s\", goc__tests, %d);\n}\n",
             pkg, n);
  return buf_take(&b);
}

static int write_text(const char *path, const char *text) { return driver_write_file(path, text); }

static char *default_pkg(char **files, int n) {
  for (int i = 0; i < n; i++)
    if (ends_with(files[i], "_test.goc")) {
      const char *b = strrchr(files[i], '/');
      b = b ? b + 1 : files[i];
      return xasprintf("%.*s", (int)(strlen(b) - strlen("_test.goc")), b);
    }
  return xstrdup("test");
}

/* The table for the .goc files among files (the rest are not analysed). */
static char *discover(char **files, int nfiles, char **flags, int nflags, const char *pkg) {
  char **gocs = xcalloc((size_t)nfiles + 1, sizeof *gocs);
  int ngoc = 0;
  bool any_test_file = false;
  for (int i = 0; i < nfiles; i++)
    if (ends_with(files[i], ".goc")) {
      gocs[ngoc++] = files[i];
      any_test_file |= ends_with(files[i], "_test.goc");
    }
  if (!any_test_file) {
    fprintf(stderr, "goc test: no *_test.goc file among the inputs\n");
    free(gocs);
    return NULL;
  }
  source **srcs;
  program *p = driver_load_program(gocs, ngoc, &srcs, NULL, flags, nflags);
  if (diag_count) {
    free(gocs);
    return NULL;
  }
  found f = {0};
  f.p = p;
  for (int i = 0; i < ngoc; i++) {
    if (!ends_with(gocs[i], "_test.goc") || !srcs[i]) continue;
    f.s = srcs[i];
    for_each_top_level(ts_tree_root_node(srcs[i]->tree), visit, &f);
  }
  free(gocs);
  if (diag_count) return NULL;
  char *text = testmain_text(f.v, f.n, pkg);
  for (int i = 0; i < f.n; i++) free(f.v[i].name);
  free(f.v);
  return text;
}

/* goc testmain FILES... -o MAIN.c [--pkg NAME] [-- cc flags] */
int cmd_testmain(int argc, char **argv) {
  const char *out = NULL, *pkg = NULL;
  char **files = xcalloc((size_t)argc + 1, sizeof *files);
  int nfiles = 0;
  char **flags = NULL;
  int nflags = 0;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
    else if (!strcmp(argv[i], "--pkg") && i + 1 < argc) pkg = argv[++i];
    else if (!strcmp(argv[i], "--")) { flags = argv + i + 1; nflags = argc - i - 1; break; }
    else files[nfiles++] = argv[i];
  }
  flags = cmake_flags_expand(flags, nflags, &nflags);
  if (!out || !nfiles) {
    fprintf(stderr, "usage: goc testmain FILES... -o MAIN.c [--pkg NAME] [-- compile flags]\n");
    return 2;
  }
  char *dpkg = pkg ? xstrdup(pkg) : default_pkg(files, nfiles);
  char *text = discover(files, nfiles, flags, nflags, dpkg);
  free(dpkg);
  if (!text) return 1;
  int rc = write_text(out, text);
  free(text);
  free(files);
  return rc;
}

/* go test's flags: they go to the test binary, the rest to the build. */
static int test_flag(const char *a) {
  if (a[0] != '-') return 0;
  const char *n = a + 1;
  if (*n == '-') n++;
  if (!strncmp(n, "test.", 5)) return 1;
  static const char *with_value[] = {"run", "bench", "benchtime", "count", "cpu", "timeout", "parallel", "list", NULL};
  static const char *booleans[] = {"v", "json", "short", "leakcheck", "failfast", NULL};
  size_t len = strcspn(n, "=");
  for (int i = 0; with_value[i]; i++)
    if (strlen(with_value[i]) == len && !strncmp(n, with_value[i], len)) return n[len] == '=' ? 1 : 2;
  for (int i = 0; booleans[i]; i++)
    if (strlen(booleans[i]) == len && !strncmp(n, booleans[i], len)) return 1;
  return 0;
}

/* goc test [-c] [-o BIN] [-race] [cc flags] FILES... [test flags] [-- args] */
int cmd_test(int argc, char **argv) {
  char **build = xcalloc((size_t)argc + 8, sizeof *build), **targs = xcalloc((size_t)argc + 2, sizeof *targs);
  int nbuild = 0, ntargs = 0;
  const char *out = NULL;
  bool compile_only = false, race = false;
  char **files = xcalloc((size_t)argc + 1, sizeof *files), **flags = xcalloc((size_t)argc + 1, sizeof *flags);
  int nfiles = 0, nflags = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    int tf = test_flag(a);
    if (!strcmp(a, "--")) {
      for (int k = i + 1; k < argc; k++) targs[ntargs++] = argv[k];
      break;
    }
    if (tf) {
      targs[ntargs++] = argv[i];
      if (tf == 2 && i + 1 < argc) targs[ntargs++] = argv[++i];
      continue;
    }
    if (!strcmp(a, "-c")) { compile_only = true; continue; }
    if (!strcmp(a, "-race")) { race = true; continue; }
    if (!strcmp(a, "-o") && i + 1 < argc) { out = argv[++i]; continue; }
    build[nbuild++] = argv[i];
    if (a[0] != '-') files[nfiles++] = argv[i];
    else {
      flags[nflags++] = argv[i];
      if ((!strcmp(a, "-I") || !strcmp(a, "-D") || !strcmp(a, "-U") || !strcmp(a, "-include") ||
           !strcmp(a, "-isystem") || !strcmp(a, "-iquote") || !strcmp(a, "-L") || !strcmp(a, "-l")) &&
          i + 1 < argc) {
        build[nbuild++] = argv[++i];
        flags[nflags++] = argv[i];
      }
    }
  }
  if (!nfiles) {
    fprintf(stderr, "usage: goc test [-c] [-o BIN] [-race] [cc flags] FILES... [test flags] [-- args]\n");
    return 2;
  }
  if (race) {
    build[nbuild++] = "-race";   /* goc cc's: TSan and libgoc_race.a */
    flags[nflags++] = "-fsanitize=thread";
  }
  build[nbuild++] = "-g";   /* .goc lines in sanitizer reports and gdb */
  char *pkg = default_pkg(files, nfiles);
  char *text = discover(files, nfiles, flags, nflags, pkg);
  if (!text) return 1;
  char *dir = driver_tmpdir();
  char *mainc = xasprintf("%s/goc_testmain.c", dir);
  char *bin = out ? xstrdup(out) : compile_only ? xasprintf("%s.test", pkg) : xasprintf("%s/%s.test", dir, pkg);
  int rc = write_text(mainc, text);
  free(text);
  if (!rc) {
    build[nbuild++] = mainc;
    build[nbuild++] = "-o";
    build[nbuild++] = bin;
    rc = driver_cc_build(nbuild, build, dir);
  }
  if (!rc && !compile_only) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      char **av = xcalloc((size_t)ntargs + 2, sizeof *av);
      av[0] = bin;
      for (int i = 0; i < ntargs; i++) av[i + 1] = targs[i];
      execv(bin, av);
      fprintf(stderr, "goc test: cannot run %s: %s\n", bin, strerror(errno));
      _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  if (!getenv("GOC_KEEP")) driver_rm_rf(dir);
  else fprintf(stderr, "goc: kept %s\n", dir);
  free(dir);
  free(mainc);
  free(bin);
  free(pkg);
  return rc;
}
