/* main.c — goc's command line. */
#include <stdio.h>
#include <string.h>
#include "transform.h"

#if defined(__SANITIZE_ADDRESS__)
/* A goc built with AddressSanitizer (GOC_SANITIZE=address) is a build step
 * of that build's own tests: the tool frees nothing before it exits, by
 * design, so LeakSanitizer must not turn its exit status into a failure. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }
#endif

static int usage(void) {
  fputs("usage:\n"
        "  goc parse FILE.goc                      print the syntax tree\n"
        "  goc transform IN.goc -o OUT.c [--peer F.goc]... [-- cc flags]\n"
        "  goc cc [cc flags] FILES... [-o OUT]     transform, compile, link libgoc\n"
        "  goc run FILE.goc... [-- args]           build in a temporary directory and run\n"
        "  goc test [-c] [-o BIN] [cc flags] FILES... [test flags]\n"
        "                                          build the tests of *_test.goc files and run them\n"
        "  goc testmain FILES... -o MAIN.c [--pkg NAME] [-- cc flags]\n"
        "                                          write the test binary's table (CMake's goc_add_test)\n"
        "  goc debuginfo FILE...                   point the debug info of goroutine locals at their\n"
        "                                          live storage (goc cc and the CMake functions do it)\n"
        "  goc launch COMPILER ARGS...             run a compile, its messages in .goc terms (the\n"
        "                                          CMake functions' compiler launcher)\n",
        stderr);
  return 2;
}

int main(int argc, char **argv) {
  diag_oom_handlers();
  if (argc < 2) return usage();
  const char *cmd = argv[1];
  if (!strcmp(cmd, "parse")) return cmd_parse(argc - 2, argv + 2);
  if (!strcmp(cmd, "transform")) return cmd_transform(argc - 2, argv + 2);
  if (!strcmp(cmd, "cc")) return cmd_cc(argc - 2, argv + 2);
  if (!strcmp(cmd, "run")) return cmd_run(argc - 2, argv + 2);
  if (!strcmp(cmd, "test")) return cmd_test(argc - 2, argv + 2);
  if (!strcmp(cmd, "testmain")) return cmd_testmain(argc - 2, argv + 2);
  if (!strcmp(cmd, "debuginfo")) return cmd_debuginfo(argc - 2, argv + 2);
  if (!strcmp(cmd, "launch")) return cmd_launch(argc - 2, argv + 2);
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) { usage(); return 0; }
  return usage();
}
