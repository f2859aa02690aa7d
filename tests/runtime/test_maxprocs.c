/* The cgroup v2 part of the default GOMAXPROCS (maxprocs.c) on a fake
 * cgroup tree, apart from the affinity mask, so the quotas above this
 * machine's CPU count are checked too (tests/maxprocs_test.sh checks the
 * whole default through goc_nprocs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rt_test.h"

int goc__cgroup_cpus(void);

static char dir[4200];

static void cpumax(const char *text) {
  char file[4300];
  snprintf(file, sizeof file, "%s/cpu.max", dir);
  FILE *f = fopen(file, "w");
  CHECK(f != NULL);
  fputs(text, f);
  fclose(f);
}

int main(void) {
  char root[] = "/tmp/goc-cgroup-XXXXXX";
  CHECK(mkdtemp(root) != NULL);
  setenv("GOC_CGROUP_ROOT", root, 1);
  char path[4096] = "", line[4096];
  FILE *f = fopen("/proc/self/cgroup", "r");
  CHECK(f != NULL);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "0::", 3)) {
      line[strcspn(line, "\n")] = 0;
      snprintf(path, sizeof path, "%s", strcmp(line + 3, "/") ? line + 3 : "");
    }
  fclose(f);
  snprintf(dir, sizeof dir, "%s%s", root, path);
  char cmd[4400];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
  CHECK(system(cmd) == 0);
  CHECK(goc__cgroup_cpus() == 0);            /* no cpu.max */
  cpumax("max 100000\n");
  CHECK(goc__cgroup_cpus() == 0);
  cpumax("800000 100000\n");
  CHECK(goc__cgroup_cpus() == 8);
  cpumax("250000 100000\n");
  CHECK(goc__cgroup_cpus() == 3);            /* rounded up */
  cpumax("150000 50000\n");
  CHECK(goc__cgroup_cpus() == 3);
  cpumax("10000 100000\n");
  CHECK(goc__cgroup_cpus() == 2);            /* Go's floor */
  cpumax("12x 100000\n");
  CHECK(goc__cgroup_cpus() == 0);
  cpumax("100000\n");
  CHECK(goc__cgroup_cpus() == 0);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  CHECK(system(cmd) == 0);
  printf("ok\n");
  return 0;
}
