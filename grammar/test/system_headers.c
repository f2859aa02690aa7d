/* A translation unit of the system headers a goc program meets most often,
 * POSIX select(2) among them. The grammar.system_headers test preprocesses
 * it with the C compiler and checks that the result parses with no ERROR or
 * MISSING node: the goc keywords must not break plain C. */
#define _GNU_SOURCE 1
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int wait_readable(int fd, struct timeval *tv) {
  fd_set r;
  FD_ZERO(&r);
  FD_SET(fd, &r);
  if (select(fd + 1, &r, NULL, NULL, tv) < 0) return -1;
  int n = select(fd + 1, &r, NULL, NULL, tv);
  return n > 0 && FD_ISSET(fd, &r);
}
