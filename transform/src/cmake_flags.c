/* cmake_flags.c — compile flags as a CMake target holds them, made into the
 * argument list the C compiler gets.
 *
 * CMake de-duplicates a target's COMPILE_OPTIONS, so a flag whose argument
 * is separate (`-include a.h -include b.h`) is written `SHELL:-include a.h`:
 * one item that CMake splits like a shell line when it writes the compile
 * command. The CMake functions hand goc the property as it stands, so the
 * transformer splits those items itself, the same way (quotes and
 * backslashes, no expansion), and sees the flags the compile does.
 */
#include <stdlib.h>
#include <string.h>
#include "transform.h"

static int split_shell(const char *s, char **out) {
  int n = 0;
  char *word = xcalloc(strlen(s) + 1, 1);
  for (;;) {
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) break;
    size_t k = 0;
    char quote = 0;
    for (; *s && (quote || (*s != ' ' && *s != '\t')); s++) {
      if (quote == '\'' && *s == '\'') quote = 0;
      else if (quote == '"' && *s == '"') quote = 0;
      else if (!quote && (*s == '\'' || *s == '"')) quote = *s;
      else if (*s == '\\' && quote != '\'' && s[1]) word[k++] = *++s;
      else word[k++] = *s;
    }
    word[k] = 0;
    if (out) out[n] = xstrdup(word);
    n++;
  }
  free(word);
  return n;
}

char **cmake_flags_expand(char **flags, int nflags, int *nout) {
  int n = 0;
  for (int i = 0; i < nflags; i++)
    n += strncmp(flags[i], "SHELL:", 6) ? 1 : split_shell(flags[i] + 6, NULL);
  char **v = xcalloc((size_t)n + 1, sizeof *v);
  int k = 0;
  for (int i = 0; i < nflags; i++) {
    if (strncmp(flags[i], "SHELL:", 6)) v[k++] = flags[i];
    else k += split_shell(flags[i] + 6, v + k);
  }
  *nout = k;
  return v;
}
