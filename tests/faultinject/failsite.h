/* failsite.h — allocation call sites for failmalloc.c (see failsite.c). */
#ifndef FAILSITE_H
#define FAILSITE_H
#include <stdbool.h>
#include <stdint.h>

/* record_path: record every site and write them there at exit;
 * target_hash (hex): fail the nth allocation from that site (after: and
 * every later one), creating the file hit when it does; depth_s: frames
 * in a site (default 6). NULL or empty: not that. */
void failsite_setup(const char *record_path, const char *target_hash, long nth, bool after, const char *hit,
                    const char *depth_s);
bool failsite_active(void);      /* recording or targeting */
void failsite_arm(void);         /* at main, before the first counted allocation */
bool failsite_should_fail(void); /* for each counted allocation, at the shim's outer level */
void failsite_write(void);       /* at exit, when recording */
#endif
