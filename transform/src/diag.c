/* diag.c — diagnostics in the form compilers use: file:line:col: error: msg */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dlfcn.h>
#include "transform.h"

int diag_count;
bool diag_quiet;

static void report(const source *s, TSNode at, const char *kind, const char *tail, const char *fmt, va_list ap) {
  int line = 1, col = 1;
  const char *file = s->path;
  if (!ts_node_is_null(at)) {
    node_pos(at, &line, &col);
    file = node_file(at);
  }
  fprintf(stderr, "%s:%d:%d: %s: ", file, line, col, kind);
  vfprintf(stderr, fmt, ap);
  fputs(tail, stderr);
}

void diag_error(const source *s, TSNode at, const char *fmt, ...) {
  diag_count++;
  if (diag_quiet) return;
  va_list ap;
  va_start(ap, fmt);
  report(s, at, "error", "\n", fmt, ap);
  va_end(ap);
}

bool diag_no_warnings;

void diag_warning(const source *s, TSNode at, const char *fmt, ...) {
  if (diag_no_warnings || warn_none()) return;
  bool error = warn_as_errors();
  if (error) diag_count++;
  if (diag_quiet) return;
  va_list ap;
  va_start(ap, fmt);
  report(s, at, error ? "error" : "warning", error ? " [-Werror]\n" : "\n", fmt, ap);
  va_end(ap);
}

/* What a fatal error removes before it exits: the temporary directory of
 * goc cc/run/test (unless GOC_KEEP) and an output's temporary file. */
static const char *fatal_rm_dir, *fatal_rm_overlay, *fatal_rm_input, *fatal_unlink;
void diag_cleanup_dir(const char *dir) { fatal_rm_dir = dir; }
void diag_cleanup_overlay(const char *dir) { fatal_rm_overlay = dir; }
void diag_cleanup_input(const char *dir) { fatal_rm_input = dir; }
void diag_cleanup_file(const char *path) { fatal_unlink = path; }

/* Outputs already built (goc cc's executable or objects): a fatal error
 * after them (out of memory in the cleanup) must not leave them behind as
 * if the command had succeeded. No allocation: the paths are argv's. */
static const char *fatal_outputs[64];
static int nfatal_outputs;
void diag_cleanup_output(const char *path) {
  if (nfatal_outputs < (int)(sizeof fatal_outputs / sizeof fatal_outputs[0])) fatal_outputs[nfatal_outputs++] = path;
}

static void fatal_cleanup(void) {
  if (fatal_unlink) unlink(fatal_unlink);
  for (int i = 0; i < nfatal_outputs; i++) unlink(fatal_outputs[i]);
  nfatal_outputs = 0;
  /* fork + exec of rm: no allocation here */
  const char *trees[] = {fatal_rm_dir && !getenv("GOC_KEEP") ? fatal_rm_dir : NULL, fatal_rm_overlay, fatal_rm_input};
  for (int i = 0; i < 3; i++) {
    if (!trees[i]) continue;
    char *v[] = {"rm", "-rf", (char *)trees[i], NULL};
    run_argv(v);
  }
  fatal_unlink = fatal_rm_dir = fatal_rm_overlay = fatal_rm_input = NULL;
}

void diag_fatal(const char *fmt, ...) {
  fputs("goc: error: ", stderr);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fatal_cleanup();
  exit(1);
}

/* Out of memory, possibly inside libclang or tree-sitter: no atexit
 * handlers or C++ static destructors run over a library's half-updated
 * state. */
void diag_oom(void) {
  fputs("goc: error: out of memory\n", stderr);
  fatal_cleanup();
  fflush(stdout);
  _exit(1);
}

/* After a library call failed: if it failed for want of memory (fopen,
 * open_memstream, getline set ENOMEM), that is the error. */
void diag_if_oom(void) {
  if (errno == ENOMEM) diag_oom();
}

static void llvm_bad_alloc(void *user, const char *reason, bool gen_crash_diag) {
  (void)user, (void)reason, (void)gen_crash_diag;
  diag_oom();
}

static void llvm_fatal(void *user, const char *reason, bool gen_crash_diag) {
  (void)user, (void)gen_crash_diag;
  fprintf(stderr, "goc: error: libclang: %s\n", reason);
  fatal_cleanup();
  _exit(1);
}

/* libclang's own fatal error handler, which its first clang_createIndex
 * installs, prints and aborts: goc's removes the temporaries first and
 * exits 1, as its other fatal errors do. */
void diag_llvm_fatal_handler(void) {
  void (*install)(void (*)(void *, const char *, bool), void *) =
      (void (*)(void (*)(void *, const char *, bool), void *))dlsym(
          RTLD_DEFAULT, "_ZN4llvm27install_fatal_error_handlerEPFvPvPKcbES0_");
  if (install) install(llvm_fatal, NULL);
}

/* The libraries' allocation failures end as goc's: tree-sitter's own
 * allocator prints and exits 1; in libclang, a failed operator new throws
 * std::bad_alloc, which nothing catches (terminate, SIGABRT), and LLVM's
 * safe_malloc calls report_bad_alloc_error, which aborts. The C++ hooks
 * are looked up by their mangled names (libstdc++'s std::set_new_handler,
 * libLLVM's llvm::install_bad_alloc_error_handler, both loaded with
 * libclang); one that is missing leaves that library's default. */
void diag_oom_handlers(void) {
  ts_set_allocator(xmalloc, xcalloc, xrealloc, free);
  void (*(*set_new_handler)(void (*)(void)))(void) =
      (void (*(*)(void (*)(void)))(void))dlsym(RTLD_DEFAULT, "_ZSt15set_new_handlerPFvvE");
  if (set_new_handler) set_new_handler(diag_oom);
  void (*install)(void (*)(void *, const char *, bool), void *) =
      (void (*)(void (*)(void *, const char *, bool), void *))dlsym(
          RTLD_DEFAULT, "_ZN4llvm31install_bad_alloc_error_handlerEPFvPvPKcbES0_");
  if (install) install(llvm_bad_alloc, NULL);
}
