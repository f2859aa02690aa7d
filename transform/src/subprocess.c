/* subprocess.c — the commands goc runs: the C compiler (to preprocess, to
 * confirm a check, to build) and nothing else.
 *
 * Invariant: GOC_VERBOSE=1 prints every command line before it runs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "transform.h"

/* $CC, or cc. */
const char *c_compiler(void) {
  const char *cc = getenv("CC");
  return cc && *cc ? cc : "cc";
}

/* Runs argv with input on stdin; returns its stdout, or NULL if it did not
 * exit 0 (its diagnostics went to stderr, or nowhere when quiet). */
char *run_with_stdin(char **argv, const char *input, size_t inlen, size_t *outlen, bool quiet) {
  int in[2], out[2];
  if (pipe(in) || pipe(out)) diag_fatal("pipe: %s", strerror(errno));
  if (getenv("GOC_VERBOSE")) {
    for (char **p = argv; *p; p++) fprintf(stderr, "%s%s", p == argv ? "" : " ", *p);
    fputc('\n', stderr);
  }
  pid_t pid = fork();
  if (pid < 0) diag_fatal("fork: %s", strerror(errno));
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    if (quiet) {
      int devnull = open("/dev/null", O_WRONLY);
      if (devnull >= 0) dup2(devnull, 2);
    }
    close(in[0]); close(in[1]); close(out[0]); close(out[1]);
    execvp(argv[0], argv);
    fprintf(stderr, "goc: error: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  /* the input is written by a child so a large output cannot deadlock us
     (no input, no writer: the child reads end of file at once) */
  pid_t writer = inlen ? fork() : -1;
  if (writer == 0) {
    close(out[0]);
    size_t off = 0;
    while (off < inlen) {
      ssize_t w = write(in[1], input + off, inlen - off);
      if (w < 0) { if (errno == EINTR) continue; _exit(1); }
      off += (size_t)w;
    }
    _exit(0);
  }
  close(in[1]);
  buf b = {0};
  char chunk[65536];
  for (;;) {
    ssize_t r = read(out[0], chunk, sizeof chunk);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    buf_putn(&b, chunk, (size_t)r);
  }
  close(out[0]);
  int st = 0, wst = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  while (writer > 0 && waitpid(writer, &wst, 0) < 0 && errno == EINTR) {}
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    buf_free(&b);
    return NULL;
  }
  *outlen = b.len;
  if (!b.s) buf_puts(&b, "");
  return buf_take(&b);
}

int run_argv(char **v) { return run_argv_stderr(v, NULL); }

/* errpath: a file that takes the command's stderr (NULL: ours). */
int run_argv_stderr(char **v, const char *errpath) {
  if (getenv("GOC_VERBOSE")) {
    for (char **p = v; *p; p++) fprintf(stderr, "%s%s", p == v ? "" : " ", *p);
    fputc('\n', stderr);
  }
  pid_t pid = fork();
  if (pid < 0) { perror("goc: fork"); return 1; }
  if (pid == 0) {
    if (errpath) {
      int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) dup2(fd, 2);
    }
    execvp(v[0], v);
    fprintf(stderr, "goc: cannot run %s: %s\n", v[0], strerror(errno));
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return 128 + WTERMSIG(st);
}

