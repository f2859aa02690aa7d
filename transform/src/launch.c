/* launch.c — `goc launch COMPILER ARGS...`: the C compiler launcher of the
 * CMake functions (C_COMPILER_LAUNCHER of a goc target). It runs the
 * compile and passes its messages on as goc cc does (ccdiag.c): at the
 * user's .goc columns, in the user's function names, the lowering's
 * stand-in calls in the compiler's own words. A compile of plain C, which
 * the same target's launcher also runs, passes through unchanged. Another
 * launcher (ccache) may follow goc's: the compiler is the last word before
 * the first option. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "transform.h"


/* Whether the compile's source is lowered C (it starts as lower_file.c
 * writes it). */
static bool compiles_lowered_c(int argc, char **argv) {
  for (int i = 0; i < argc; i++) {
    size_t n = strlen(argv[i]);
    if (n < 3 || strcmp(argv[i] + n - 2, ".c")) continue;
    FILE *f = fopen(argv[i], "r");
    if (!f) continue;
    char head[32] = {0};
    size_t got = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    if (got && !strncmp(head, LOWERED_C_FIRST_WORDS, strlen(LOWERED_C_FIRST_WORDS))) return true;
  }
  return false;
}

int cmd_launch(int argc, char **argv) {
  if (argc < 1) {
    fputs("usage: goc launch COMPILER ARGS...\n", stderr);
    return 2;
  }
  char **v = xcalloc((size_t)argc + 1, sizeof *v);
  memcpy(v, argv, sizeof *v * (size_t)argc);
  if (!compiles_lowered_c(argc, v)) return run_argv(v);   /* plain C: as it is */
  int cc = 0;
  while (cc + 1 < argc && v[cc + 1][0] != '-') cc++;
  /* ccdiag asks $CC whether it is gcc: the compiler of this command */
  if (setenv("CC", argv[cc], 1)) diag_oom();
  const char *tmp = getenv("TMPDIR");
  char *errs = xasprintf("%s/goc-launch-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  int fd = mkstemp(errs);
  if (fd < 0) {
    /* nowhere to hold the messages: they go straight through */
    free(errs);
    return run_argv(v);
  }
  close(fd);
  bool quiet = nowarn_applies(v);
  if (quiet) {
    char **nv = nowarn_argv(v);
    free(v);
    v = nv;
  }
  int rc = run_argv_stderr(v, errs);
  if (quiet) nowarn_filter(errs);
  relay_cc_diagnostics(errs, v, "");
  unlink(errs);
  free(errs);
  free(v);
  return rc;
}
