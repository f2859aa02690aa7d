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
#endif
