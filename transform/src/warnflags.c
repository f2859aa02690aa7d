/* warnflags.c — the user's warning flags that the lowering must honour
 * itself, because a step function hides what the compiler would see.
 *
 * -Wreturn-type: a goroutine function's body ends in the step function's
 * `return GOC_DONE;`, so the compiler never finds control reaching the
 * end of a non-void function. The lowering calls goc__fell_off_end() at
 * that end instead (goc_abi.h: a function with the warning attribute, or
 * error for -Werror=return-type), which the compiler reports only where
 * the call stays reachable: its own flow analysis decides, as it does for
 * -Wreturn-type. Whether to write the call is the flags' answer to
 * whether gcc (-Wall, -Wreturn-type) or clang (on unless turned off)
 * would warn; the last of -Wreturn-type and -Wno-return-type wins, -w
 * turns everything off. `return E;` in a void function and `return;` in a
 * non-void one are the same kind of stand-in (goc__return_value_in_void,
 * goc__return_no_value): gcc warns of them and clang refuses them unless
 * -w or -Wno-return-type (gcc names the option only where -Wreturn-type
 * is on). */
#include <string.h>
#include "transform.h"

static struct {
  bool gcc, clang;   /* -Wreturn-type is on for this compiler */
  bool error;        /* -Werror=return-type */
} return_type = {false, true, false};

static bool none, as_errors;

void warn_flags_read(char **flags, int nflags) {
  bool wall = false, quiet = false;
  as_errors = false;
  int explicit_rt = 0;   /* 1: -Wreturn-type, -1: -Wno-return-type */
  bool error = false;
  for (int i = 0; i < nflags; i++) {
    const char *f = flags[i];
    if (!strcmp(f, "-w")) quiet = true;
    else if (!strcmp(f, "-Wall")) wall = true;
    else if (!strcmp(f, "-Wreturn-type")) explicit_rt = 1;
    else if (!strcmp(f, "-Wno-return-type")) explicit_rt = -1;
    else if (!strcmp(f, "-Werror=return-type")) explicit_rt = 1, error = true;
    else if (!strcmp(f, "-Wno-error=return-type")) error = false;
    else if (!strcmp(f, "-Werror")) as_errors = true;
    else if (!strcmp(f, "-Wno-error")) as_errors = false;
  }
  none = quiet;
  return_type.gcc = !quiet && (explicit_rt ? explicit_rt > 0 : wall);
  return_type.clang = !quiet && explicit_rt >= 0;
  return_type.error = error;
}

const char *warn_fell_off_end(const char **compiler_test) {
  if (return_type.gcc == return_type.clang) *compiler_test = return_type.gcc ? "1" : "0";
  else *compiler_test = return_type.clang ? "defined(__clang__)" : "!defined(__clang__)";
  return return_type.error ? "goc__fell_off_end_error" : "goc__fell_off_end";
}

const char *warn_wrong_return(void) { return return_type.clang ? "1" : "0"; }

bool warn_return_type_gcc(void) { return return_type.gcc; }

bool warn_none(void) { return none; }
bool warn_as_errors(void) { return as_errors; }
