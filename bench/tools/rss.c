/* rss.c — run a command with a time limit and report its peak RSS.
 *
 *   rss OUTFILE TIMEOUT_S CMD [ARGS...]
 *
 * Writes the child's ru_maxrss (KiB, from wait4) to OUTFILE and exits with
 * the child's status: its exit code, 128+signal if killed, 124 on timeout
 * (the child is sent SIGKILL). Used by bench/run.sh so that the runner needs
 * neither /usr/bin/time nor coreutils' timeout. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t expired;
static void on_alarm(int sig) { (void)sig; expired = 1; }

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: rss OUTFILE TIMEOUT_S CMD [ARGS...]\n");
    return 2;
  }
  const char *out = argv[1];
  int limit = atoi(argv[2]);
  pid_t pid = fork();
  if (pid < 0) { perror("fork"); return 2; }
  if (pid == 0) {
    execvp(argv[3], argv + 3);
    perror(argv[3]);
    _exit(127);
  }
  struct sigaction sa = {0};
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  alarm(limit > 0 ? (unsigned)limit : 60);
  int status = 0, timed_out = 0;
  struct rusage ru;
  for (;;) {
    pid_t r = wait4(pid, &status, 0, &ru);
    if (r == pid) break;
    if (r < 0 && errno == EINTR && expired && !timed_out) {
      timed_out = 1;
      kill(pid, SIGKILL);
      continue;
    }
    if (r < 0 && errno != EINTR) { perror("wait4"); return 2; }
  }
  FILE *f = fopen(out, "w");
  if (f) { fprintf(f, "%ld\n", ru.ru_maxrss); fclose(f); }
  if (timed_out) return 124;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
