/* fuzz_transform.c — libFuzzer harness over the transformer's entry points:
 * parse, syntax check, colouring and lowering of one .goc text. The libclang
 * check of the output is left out (it is a safety net around this code, and
 * slow); crashes, hangs and sanitizer reports in goc's own code are what
 * this looks for.
 *
 *   tests/fuzz.sh builds it with clang -fsanitize=fuzzer,address and runs
 *   it on the fixtures as seeds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../src/lower.h"

#ifndef GOC_FUZZ_GOC_H
#error "define GOC_FUZZ_GOC_H as the path of runtime/include/goc.h"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static program base;
  static int loaded;
  if (!loaded) {
    program_load_blocking(&base, GOC_FUZZ_GOC_H);
    loaded = 1;
  }
  diag_quiet = true;
  diag_count = 0;
  source *s = source_from_text("fuzz.goc", (const char *)data, size);
  if (source_check_syntax(s) == 0) {
    program p = base;
    p.fns = NULL;
    p.nfns = 0;
    program_add_source(&p, s);
    program_colour(&p);
    char *c = lower_source(&p, s);
    free(c);
    for (int i = 0; i < p.nfns; i++) {   /* the long runs must not grow */
      fninfo *fn = p.fns[i];
      for (int k = 0; k < fn->nparams; k++) {
        free(fn->params[k]);
        if (fn->param_decls) free(fn->param_decls[k]);
      }
      free(fn->params);
      free(fn->param_decls);
      free(fn->param_is_array);
      free(fn->capture_slots);
      free(fn->fields);
      free(fn->ret_decl);
      free(fn->name);
      free(fn);
    }
    free(p.fns);
  }
  source_free(s);
  return 0;
}
