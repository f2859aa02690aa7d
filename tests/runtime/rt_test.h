/* rt_test.h — helpers for runtime unit tests: hand-written goroutines in
 * the shape of lowered code (goc_abi.h), and a libuv-style runner that runs
 * each case in its own child process (argv[1] = case name) with a timeout,
 * checking its exit status and, optionally, text in its stderr. */
#ifndef RT_TEST_H
#define RT_TEST_H
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include "goc_abi.h"
#include "park.h"

#define CHECK(c)                                                         \
  do {                                                                   \
    if (!(c)) {                                                          \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); \
      fflush(stderr);                                                    \
      _exit(1);                                                          \
    }                                                                    \
  } while (0)

/* Lowered-code idioms. */
#define RT_SUSPEND(fr, idx) do { (fr)->resume = (idx); return GOC_SUSPEND; } while (0)
#define RT_PREEMPT_CHECK(g, fr, idx)                                     \
  do {                                                                   \
    if (goc__preempt_requested(g)) { goc__preempt(g); RT_SUSPEND(fr, idx); } \
  } while (0)

/* The function record (goc_abi.h) of a step function, as the lowering's
 * F__fi: one static record per use. */
#define RT_FI(step)                                                      \
  __extension__({                                                        \
    static const goc_fninfo fi_ = {(step), #step, __FILE__};             \
    &fi_;                                                                \
  })
/* A new goroutine with a frame of type T for step; returns the frame. */
#define RT_NEW(g, T, step) \
  ((T *)goc__frame_push((g) = goc__go_new(), sizeof(T), RT_FI(step)))
#define RT_GO(g)                                                         \
  do {                                                                   \
    static const goc_site site_ = {NULL, __FILE__, __LINE__};            \
    goc__go_start((g), &site_);                                          \
  } while (0)

/* Main goroutine: frame type T with an int field `result`. */
#define RT_RUN_MAIN(T, step)                                             \
  do {                                                                   \
    goc_g *mg_ = goc__main_g();                                          \
    static const goc_fninfo fi_ = {(step), "main", __FILE__};            \
    T *mf_ = (T *)goc__frame_push(mg_, sizeof(T), &fi_);                 \
    (void)mf_;                                                           \
    goc__run_main(mg_, offsetof(T, result));                             \
  } while (0)

typedef struct rt_case {
  const char *name;
  void (*fn)(void);        /* runs in the child; may not return */
  int want_status;         /* exit status expected */
  const char *want_err[4]; /* substrings expected in stderr */
} rt_case;

static inline int rt_main(int argc, char **argv, const rt_case *cases,
                          int n) {
  if (argc > 1) {
    for (int i = 0; i < n; i++)
      if (strcmp(argv[1], cases[i].name) == 0) {
        alarm(50);
        cases[i].fn();
        return 0;
      }
    fprintf(stderr, "no case %s\n", argv[1]);
    return 1;
  }
  int failed = 0;
  for (int i = 0; i < n; i++) {
    char errpath[] = "/tmp/goc_rt_errXXXXXX";
    int efd = mkstemp(errpath);
    pid_t pid = fork();
    if (pid == 0) {
      dup2(efd, 2);
      execl("/proc/self/exe", argv[0], cases[i].name, (char *)NULL);
      _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    char buf[65536];
    ssize_t len = pread(efd, buf, sizeof buf - 1, 0);
    buf[len > 0 ? len : 0] = 0;
    close(efd);
    unlink(errpath);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    bool ok = code == cases[i].want_status;
    for (int k = 0; k < 4 && cases[i].want_err[k]; k++)
      if (!strstr(buf, cases[i].want_err[k])) ok = false;
    printf("%s %s (exit %d)\n", ok ? "ok  " : "FAIL", cases[i].name, code);
    if (!ok) {
      failed++;
      printf("---- stderr ----\n%s----------------\n", buf);
    }
    fflush(stdout);
  }
  return failed ? 1 : 0;
}
#endif
