/* netpoll.h — the boundary between the portable netpoller (netpoll.c) and
 * its OS backend (netpoll_epoll.c). Internal. */
#ifndef GOC_NETPOLL_H
#define GOC_NETPOLL_H
#include <stdint.h>

enum { GOC_POLL_R = 1, GOC_POLL_W = 2 };
typedef struct goc_polldesc goc_polldesc;

/* backend */
int goc__netpoll_os_init(void);                       /* 0 or -errno */
int goc__netpoll_os_open(int fd, goc_polldesc *pd);   /* 0 or -errno */
void goc__netpoll_os_close(int fd);
/* Waits up to delay ns (<0: forever); calls goc__netpoll_wake per event. */
void goc__netpoll_os_wait(int64_t delay);
void goc__netpoll_os_break(void);

/* portable side: readies the waiters of pd for mode; returns how many */
int goc__netpoll_wake(goc_polldesc *pd, int mode);

/* For connections (net.c), which keep their fd open while a call is in
 * progress and serialise the calls of one direction themselves. */
#include <stdbool.h>
typedef struct goc_g goc_g;
goc_polldesc *goc__pd_get(int fd);   /* registers fd on first use; NULL if out of range */
/* 1: retry the system call; 0: g parked (suspend); -1: errno EBADF
 * (evicted) or ETIMEDOUT (deadline passed). One waiter per direction. */
int goc__pd_wait(goc_g *g, goc_polldesc *pd, int mode);
/* After a resume from goc__pd_wait (g's io_state): false (EBADF) if the
 * fd was closed by goc_close_fd meanwhile. */
bool goc__pd_resumed(goc_g *g, goc_polldesc *pd);
int goc__pd_check(goc_polldesc *pd, int mode);   /* 0, EBADF or ETIMEDOUT */
/* Deadline d (goc_now() time, 0: none) for mode (GOC_POLL_R|GOC_POLL_W). */
void goc__pd_set_deadline(goc_polldesc *pd, int64_t d, int mode);
/* Wakes both waiters and fails every later wait until goc_close_fd. */
void goc__pd_evict(goc_polldesc *pd);
#endif
