/* chan_testutil.h — small helpers for the channel, select and context tests
 * (plain C; each test is its own executable returning 0 on success). */
#ifndef CHAN_TESTUTIL_H
#define CHAN_TESTUTIL_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include "goc.h"

#define CHECK(cond)                                                       \
  do {                                                                    \
    if (!(cond)) {                                                        \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,    \
              #cond);                                                     \
      exit(1);                                                            \
    }                                                                     \
  } while (0)

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define TEST_SANITIZED 1
#else
#define TEST_SANITIZED 0
#endif

static inline void test_sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static inline pthread_t test_spawn(void *(*fn)(void *), void *arg) {
  pthread_t t;
  CHECK(pthread_create(&t, NULL, fn, arg) == 0);
  return t;
}

/* Runs fn(arg) in a child process; checks it exits with status 2 and that
 * its stderr contains `want`. */
static inline void expect_death(void (*fn)(void *), void *arg,
                                const char *want) {
  int p[2];
  CHECK(pipe(p) == 0);
  fflush(NULL);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    close(p[0]);
    dup2(p[1], 2);
    fn(arg);
    _exit(0);   /* fn was expected not to return */
  }
  close(p[1]);
  char buf[8192];
  size_t len = 0;
  ssize_t k;
  while ((k = read(p[0], buf + len, sizeof buf - 1 - len)) > 0) len += (size_t)k;
  buf[len] = 0;
  close(p[0]);
  int st = 0;
  CHECK(waitpid(pid, &st, 0) == pid);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 2 || !strstr(buf, want)) {
    fprintf(stderr, "expected exit 2 with \"%s\"; got status %d, stderr:\n%s\n",
            want, st, buf);
    exit(1);
  }
}

#endif
