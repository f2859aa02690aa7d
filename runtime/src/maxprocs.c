/* maxprocs.c — the default GOMAXPROCS, as Go 1.25 computes it: the CPUs
 * the affinity mask allows, lowered to the cgroup v2 CPU bandwidth limit
 * (cpu.max: quota / period rounded up, at least 2) when there is one.
 *
 * As Go, only the leaf cgroup that holds the process is read (container
 * runtimes hide the parents anyway), once at start-up. The cgroup is the
 * "0::PATH" line of /proc/self/cgroup, its files under the cgroup2 mount,
 * /sys/fs/cgroup, or $GOC_CGROUP_ROOT (tests point it at a fake tree).
 * Anything missing or unreadable means no limit: never fewer Ps than the
 * affinity mask allows because of a file we could not parse.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int affinity_cpus(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

/* The cgroup v2 limit rounded up, or 0 for none (tests call it too). */
int goc__cgroup_cpus(void) {
  FILE *f = fopen("/proc/self/cgroup", "r");
  if (!f) return 0;
  char line[4096], path[4096] = "";
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "0::", 3)) continue;   /* v1 hierarchies: not read */
    line[strcspn(line, "\n")] = 0;
    snprintf(path, sizeof path, "%s", line + 3);
    break;
  }
  fclose(f);
  if (!path[0]) return 0;
  const char *root = getenv("GOC_CGROUP_ROOT");
  if (!root || !*root) root = "/sys/fs/cgroup";
  char file[8300];
  snprintf(file, sizeof file, "%s%s/cpu.max", root, strcmp(path, "/") ? path : "");
  f = fopen(file, "r");
  if (!f) return 0;
  char quota[64];
  long long period = 0;
  int k = fscanf(f, "%63s %lld", quota, &period);
  fclose(f);
  if (k != 2 || period <= 0 || !strcmp(quota, "max")) return 0;
  char *end;
  long long q = strtoll(quota, &end, 10);
  if (*end || q <= 0) return 0;
  long long n = (q + period - 1) / period;
  if (n < 2) n = 2;   /* Go's floor: one CPU's worth still gets 2 */
  return n > 1024 ? 1024 : (int)n;
}

int goc__default_maxprocs(void) {
  int n = affinity_cpus();
  int c = goc__cgroup_cpus();
  if (c > 0 && c < n) n = c;
  return n;
}
