/* lower_func.c — one goroutine function: its frame struct, its step
 * function and its plain C entry.
 *
 *   struct F__frame { goc_frame goc_hdr; <params>; <ret>; };
 *   int F__step(goc_g *goc_cur, goc_frame *goc_frp) {
 *     <params>  <local types, goc_T<N> typedefs>  <temps>
 *     struct goc_locals { <spilled and address-taken slots> } *goc_L;
 *     static void *const goc_resume[] = { &&goc_entry, &&goc_R1, ... };
 *     if (resume) { goc_L = locals; goto *goc_resume[resume]; }
 *   goc_entry: goc_L = arena push; load params; preemption check;
 *     body, its locals declared in their blocks
 *   }
 *   R F(params) { run F as a goroutine; block this thread until done }
 */
#include <stdlib.h>
#include <string.h>
#include "lower.h"

static const char *frame_name(const fninfo *fn) { return fn->is_main ? "main" : fn->name; }
static const char *step_name(const fninfo *fn) { return fn->is_main ? "goc_main" : fn->name; }

/* Around generated code: the warnings a project's strict flags give about
 * how the lowering writes C (declarations after statements, a temp's
 * statement expression re-declaring a local, padding, goto past an
 * initialiser, C++ compatibility of the forward declarations) say nothing
 * about the user's code; -Werror must not fail on them. The ones about
 * what the user wrote (-Wformat, -Wconversion on the user's expressions,
 * ...) stay on. In the step function, where the user's code is, the
 * unused, uninitialised and fall-through ones are on too, so that they
 * judge it as in C: what the lowering declares there is marked unused (its
 * labels too), the copies of a suspension's locals sit in GOC__KEEP_BEGIN/
 * END (goc_abi.h), the fall-through comments keep their place. They are
 * off in F__first, which declares the step's locals and temps again only
 * to name the locals' struct, and in the entries. Two stay off in the step:
 *   - gcc's uninitialised-use ones where the user takes a label's address
 *     (&&label): gcc takes the resume dispatch's goto * for a way to every
 *     such label, from the function's entry, past the initialisations C
 *     would have run (IN_STEP_LABELS);
 *   - clang's: its analysis takes the spill's &x for an initialisation of
 *     x, so it reports a use before a suspension at the suspension's if,
 *     as "sometimes uninitialized", and misses the reads after it. */
enum { FOR_GCC = 1, FOR_CLANG = 2, FOR_BOTH = 3 };
enum { IN_DECLS = 1, IN_STEP = 2, IN_REST = 4, EVERYWHERE = 7, IN_STEP_LABELS = 8 };
static const struct generated_warning {
  const char *name;
  unsigned char compilers;
  unsigned char where;   /* IN_*: the frame's declarations, the step function, F__first and the entries */
} generated_warnings[] = {
    {"-Wdeclaration-after-statement", FOR_BOTH, EVERYWHERE},
    {"-Wshadow", FOR_BOTH, EVERYWHERE},
    {"-Wpadded", FOR_BOTH, EVERYWHERE},
    {"-Wc++-compat", FOR_BOTH, EVERYWHERE},
    {"-Wcast-qual", FOR_BOTH, EVERYWHERE},
    {"-Wredundant-decls", FOR_BOTH, EVERYWHERE},
    {"-Wmissing-prototypes", FOR_BOTH, EVERYWHERE},
    {"-Wmissing-declarations", FOR_GCC, EVERYWHERE},
    {"-Wnested-externs", FOR_GCC, EVERYWHERE},
    {"-Wjump-misses-init", FOR_GCC, EVERYWHERE},
    {"-Wswitch-default", FOR_BOTH, EVERYWHERE},
    {"-Wswitch-enum", FOR_BOTH, EVERYWHERE},
    {"-Wunused-variable", FOR_BOTH, IN_REST},
    {"-Wunused-local-typedef", FOR_CLANG, IN_REST},
    {"-Wunused-local-typedefs", FOR_GCC, IN_REST},
    {"-Wunused-but-set-variable", FOR_GCC, IN_REST},
    {"-Wmaybe-uninitialized", FOR_GCC, IN_REST | IN_STEP_LABELS},
    {"-Wuninitialized", FOR_GCC, IN_REST | IN_STEP_LABELS},
    {"-Wuninitialized", FOR_CLANG, IN_STEP | IN_REST},
    {"-Wsometimes-uninitialized", FOR_CLANG, IN_STEP | IN_REST},
    {"-Wunused-label", FOR_BOTH, IN_REST},
    {"-Wimplicit-fallthrough", FOR_BOTH, IN_REST},
    /* a strip-mined loop's full chunk (lower_chunked_for) has a constant
       count, which can exceed what its body may do; it runs only when the
       loop as written would run as many iterations */
    {"-Waggressive-loop-optimizations", FOR_GCC, IN_STEP},
};

static void generated_begin(buf *out, unsigned char part) {
  static const struct { const char *test, *pragma; unsigned char bit; } compilers[] = {
      {"#if defined(__clang__)", "clang", FOR_CLANG}, {"#elif defined(__GNUC__)", "GCC", FOR_GCC}};
  buf_putc(out, '\n');
  for (int c = 0; c < 2; c++) {
    buf_printf(out, "%s\n#pragma %s diagnostic push\n", compilers[c].test, compilers[c].pragma);
    for (size_t i = 0; i < sizeof generated_warnings / sizeof generated_warnings[0]; i++) {
      const struct generated_warning *w = &generated_warnings[i];
      if ((w->compilers & compilers[c].bit) && (w->where & part))
        buf_printf(out, "#pragma %s diagnostic ignored \"%s\"\n", compilers[c].pragma, w->name);
    }
  }
  buf_puts(out, "#endif\n");
}

/* The frame's definition, for a lifted block whose frame is defined in
 * each function that uses it: the block's step and first-frame functions
 * and the spawner's go statement, each after the types it names. The
 * three definitions are one text, so they have one layout. */
void emit_frame_def(const fninfo *fn, buf *out) {
  buf_printf(out, "struct %s__frame { goc_frame goc_hdr; %s};\n", frame_name(fn), fn->fields);
}

static void generated_end(buf *out) {
  buf_puts(out, "#if defined(__clang__)\n#pragma clang diagnostic pop\n#elif defined(__GNUC__)\n"
                "#pragma GCC diagnostic pop\n#endif\n");
}

void emit_frame_decl(fninfo *fn, buf *out) {
  generated_begin(out, IN_DECLS);
  /* a frame that holds one of the spawner's own types is defined in the
     functions that use it, after that type (emit_frame_def) */
  if (!fn->frame_in_functions) buf_printf(out, "\nstruct %s__frame { goc_frame goc_hdr; %s};\n", frame_name(fn), fn->fields);
  buf_printf(out, "%sint %s__step(goc_g *goc_cur, goc_frame *goc_frp);\n",
             fn->is_static || fn->is_main ? "static " : "", step_name(fn));
  buf_printf(out, "%s__SIZE_TYPE__ %s__first(void);\n",
             fn->is_static || fn->is_main ? "__attribute__((unused)) static " : "", frame_name(fn));
  /* the function's record (goc_abi.h): what its frames point to */
  buf_printf(out, "%sconst goc_fninfo %s__fi;\n", fn->is_static || fn->is_main ? "static " : "extern ", frame_name(fn));
  emit_gofn_decl(fn, out, false);
  generated_end(out);
}


/* A parameter the body never names is not passed on, so that gcc's
 * -Wunused-parameter judges the user's signature as in C. */
static bool param_named(const fnctx *fx, int i) { return fx->slots[i].nrefs > 0; }

static void emit_c_entry(const source *s, fninfo *fn, const fnctx *fx, buf *out) {
  TSNode body = node_field(fn->def, "body");
  const char *fr = frame_name(fn);
  if (fn->is_main) {
    /* main keeps the user's own signature, so a prototype of it before
       the definition (int main(void);) still matches */
    if (fn->nparams == 0) {
      buf_puts(out, "\nint main(void) {\n");
    } else {
      emit_rewritten_range(s, fn->def, ts_node_start_byte(fn->def), ts_node_start_byte(body), out, NULL);
      buf_puts(out, "{\n");
    }
    buf_puts(out, "  goc_g *goc__g = goc__main_g();\n"
                  "  struct main__frame *goc__f = (struct main__frame *)goc__frame_push(goc__g, "
                  "sizeof(struct main__frame), &main__fi);\n");
    for (int i = 0; i < fn->nparams; i++)
      if (param_named(fx, i))
        buf_printf(out, "  __builtin_memcpy((void *)&goc__f->%s, (void *)&%s, sizeof goc__f->%s);\n", fn->params[i],
                   fn->params[i], fn->params[i]);
    buf_puts(out, "  (void)goc__f;\n"
                  "  goc__run_main(goc__g, __builtin_offsetof(struct main__frame, goc_ret));\n}\n");
    return;
  }
  emit_rewritten_range(s, fn->def, ts_node_start_byte(fn->def), ts_node_start_byte(body), out, NULL);
  buf_printf(out, "{\n  goc_g *goc__g = goc__go_new_sized(%s__first());\n", fr);
  buf_printf(out, ""
                  "  struct %s__frame *goc__f = (struct %s__frame *)goc__frame_push(goc__g, sizeof(struct %s__frame), "
                  "&%s__fi);\n", fr, fr, fr, fr);
  for (int i = 0; i < fn->nparams; i++)
    if (param_named(fx, i)) buf_printf(out, "  GOC__INIT(goc__f->%s, %s);\n", fn->params[i], fn->params[i]);
  buf_puts(out, "  (void)goc__f;\n  goc__run_sync(goc__g);\n");
  if (!fn->returns_void) buf_puts(out, "  __typeof__(goc__f->goc_ret) goc__r = goc__f->goc_ret;\n");
  buf_puts(out, "  goc__g_release(goc__g);\n");
  if (!fn->returns_void) buf_puts(out, "  return goc__r;\n");
  buf_puts(out, "}\n");
}

/* Every generated line of one statement belongs to that statement's .goc
 * line: the lines after a #line directive are joined into one, so
 * diagnostics and debuggers never drift onto neighbouring .goc lines (and
 * the output does not repeat the directive). Directives stay on their own
 * lines; the text is preprocessed, so no comment or literal spans lines. */
static void pin_lines(const char *text, buf *out) {
  bool pinned = false;      /* a #line directive came before */
  bool prev_code = false;   /* the last line written is code */
  for (const char *p = text; *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
    if (p[0] == '#') {
      pinned = !strncmp(p, "#line ", 6) || (p[1] == ' ' && p[2] >= '0' && p[2] <= '9');
      prev_code = false;
    } else if (len > 1) {
      if (pinned && prev_code && out->len && out->s[out->len - 1] == '\n') out->s[out->len - 1] = ' ';
      prev_code = true;
    }
    buf_putn(out, p, len);
    p += len;
  }
}

/* A go { } block becomes a function of its own: the types and enumerators
 * that the enclosing function defines before the block (typedef, enum,
 * struct) are defined again at the top of its step function. */
static void emit_enclosing_types(const source *s, TSNode go_stmt, buf *out) {
  uint32_t at = ts_node_start_byte(go_stmt);
  TSNode *scopes = NULL;
  int ns = 0;
  for (TSNode p = node_parent(go_stmt); !ts_node_is_null(p); p = node_parent(p)) {
    if (node_is(p, "compound_statement")) {
      scopes = xrealloc(scopes, sizeof(TSNode) * (size_t)(ns + 1));
      scopes[ns++] = p;
    }
    if (node_is(p, "function_definition")) break;
  }
  for (int i = ns - 1; i >= 0; i--) {   /* outermost first */
    uint32_t c = ts_node_named_child_count(scopes[i]);
    for (uint32_t k = 0; k < c; k++) {
      TSNode n = ts_node_named_child(scopes[i], k);
      if (ts_node_end_byte(n) > at) break;
      TSNode spec = node_is(n, "declaration") ? node_field(n, "type") : n;
      /* an anonymous struct or union defines nothing that can be named
         again (its variables' type is compute_captures' business); an
         anonymous enum its enumerators */
      bool defines = !ts_node_is_null(node_field(spec, "body")) &&
                     (node_is(spec, "enum_specifier") ||
                      ((node_is(spec, "struct_specifier") || node_is(spec, "union_specifier")) &&
                       !ts_node_is_null(node_field(spec, "name"))));
      if (node_is(n, "type_definition")) {
        buf_put_node_line(out, n);
        rewrite_node(s, NULL, RW_EXPR, n, out);
        buf_putc(out, '\n');
      } else if (defines) {
        buf_put_node_line(out, spec);
        rewrite_node(s, NULL, RW_EXPR, spec, out);
        buf_puts(out, ";\n");
      }
    }
  }
  free(scopes);
}

static char *lower_function_once(program *p, const source *s, fninfo *fn, const bool *force_L, int nforce,
                                 int **spills_out, int *nslots_out) {
  fnctx fx = {0};
  fx.p = p;
  fx.s = s;
  fx.fn = fn;
  analyse_function(&fx);
  for (int i = 0; i < nforce && i < fx.nslots; i++)
    if (force_L[i] && !fx.slots[i].is_static && !fx.slots[i].is_temp && !fx.slots[i].in_place) fx.slots[i].in_L = true;
  if (fn->variadic) diag_error(s, fn->def, "variadic goroutine function '%s' is not supported", fn->name);
  buf body = {0};
  TSNode fbody = node_field(fn->def, "body");
  /* entry: parameters, then the preemption check at function entry */
  buf entry = {0};
  for (int i = 0; i < fn->nparams; i++) {
    slot *sl = &fx.slots[i];
    if (sl->in_L)
      buf_printf(&entry, "__builtin_memcpy((void *)&goc_L->%s, (void *)&goc_fr->%s, sizeof goc_L->%s);\n", sl->fname, sl->name, sl->fname);
    else
      buf_printf(&entry, "__builtin_memcpy((void *)&%s, (void *)&goc_fr->%s, sizeof %s);\n", sl->cname, sl->name,
                 sl->cname);
  }
  emit_preempt_check(&fx, fbody, &entry);
  kids ks;
  kids_named(fbody, &ks);
  for (uint32_t i = 0; i < ks.n; i++) lower_stmt(&fx, ks.at[i], &body);
  kids_free(&ks);
  emit_block_cleanups(&fx, fbody, &body);
  if (!fn->returns_void && !fn->is_main && !fn->lifted) {
    /* -Wreturn-type (warnflags.c), at the body's closing brace */
    const char *test;
    char *fell = xasprintf("%s()", warn_fell_off_end(&test));
    uint32_t nk = ts_node_child_count(fbody);
    if (nk) emit_standin(&fx, test, ts_node_child(fbody, nk - 1), fell, &body);
    free(fell);
  }

  buf out = {0};
  const char *fr = frame_name(fn);
  generated_begin(&out, fx.label_values ? IN_STEP | IN_STEP_LABELS : IN_STEP);
  emit_line(&fx, fn->def, &out);
  buf_printf(&out, "%sint %s__step(goc_g *goc_cur, goc_frame *goc_frp) {\n", fn->is_static || fn->is_main ? "static " : "",
             step_name(fn));
  /* the declarations up to the locals' struct, again in F__first (where
     goc_frp is a null pointer) */
  buf decls = {0};
  if (!fn->frame_in_functions) buf_printf(&out, "struct %s__frame *goc_fr = (struct %s__frame *)goc_frp;\n", fr, fr);
  if (fx.names_func) {
    const fninfo *user = fn;
    while (user->lifted && user->spawner) user = user->spawner;
    buf_printf(&decls, "__attribute__((unused)) static const char goc__func[] = \"%s\";\n", user->name);
  }
  if (fn->lifted) emit_enclosing_types(s, fn->def, &decls);
  if (fn->frame_in_functions) {
    emit_frame_def(fn, &decls);
    buf_printf(&decls, "struct %s__frame *goc_fr = (struct %s__frame *)goc_frp;\n", fr, fr);
  }
  for (int i = 0; i < fn->nparams; i++) {
    char *td = fx.slots[i].in_L ? twin_decl(&fx, i) : NULL;
    buf_printf(&decls, "%s\n", td ? td : fx.slots[i].decl);
    free(td);
  }
  buf_puts(&decls, buf_str(&fx.temps));
  /* the prologue belongs to the function's own line */
  emit_line(&fx, fn->def, &decls);
  buf_puts(&decls, "struct goc_locals {");
  int nfields = 0;
  for (int i = 0; i < fx.nslots; i++) {
    slot *sl = &fx.slots[i];
    if (sl->is_static || !(sl->in_L || sl->needs_L)) continue;
    if (declared_in_place(sl))
      /* not in scope here: its type's twin, and its declaration's alignas */
      buf_printf(&decls, " %sgoc_T%d %s;", sl->align ? sl->align : "", i, sl->fname);
    else
      /* __alignof__ of the variable keeps an alignas of its declaration */
      buf_printf(&decls, " __typeof__(%s) %s __attribute__((aligned(__alignof__(%s))));", sl->cname, sl->fname, sl->cname);
    nfields++;
  }
  buf_puts(&decls, " }");
  buf_puts(&out, buf_str(&decls));
  buf_puts(&out, " *goc_L;\n");
  if (fx.nthunks) {
    buf_puts(&out, buf_str(&fx.thunk_structs));
    buf_puts(&out, "if (__builtin_expect(goc_frp->resume >= GOC_THUNK_BASE, 0)) switch (goc_frp->resume) {\n");
    buf_puts(&out, buf_str(&fx.thunk_dispatch));
    buf_puts(&out, "}\n");
  }
  buf_puts(&out, "static void *const goc_resume[] = { &&goc_entry");
  for (int k = 1; k <= fx.nresume; k++) {
    /* a resume point inside a loop: the outermost loop's entry (routed
       through the loops' headers, lower_stmt.c) */
    if (k < fx.resume_to_cap && fx.resume_to[k])
      buf_printf(&out, ", &&%s", fx.resume_to[k]);
    else
      buf_printf(&out, ", &&goc_R%d", k);
  }
  buf_puts(&out, " };\n");
  /* the resume points of receives in expressions (lower_receive): the
   * dispatch finishes the receive (goc__chan_recv_resume, which reads
   * and writes only the G) before it jumps, so the receive's own resume
   * path is its label and reloads, with no call */
  bool fin = false;
  for (int k = 1; k <= fx.nresume && !fin; k++) fin = k < fx.recv_fin_cap && fx.recv_fin[k];
  const char *finish = "";
  if (fin) {
    buf_puts(&out, "static const unsigned char goc_rf[] = { 0");
    for (int k = 1; k <= fx.nresume; k++) buf_puts(&out, k < fx.recv_fin_cap && fx.recv_fin[k] ? ", 1" : ", 0");
    buf_puts(&out, " };\n");
    finish = "if (goc_rf[goc_fr->goc_hdr.resume]) goc__chan_recv_resume(goc_cur, ((void *)0));\n";
  }
  if (fx.routed) buf_puts(&out, "unsigned goc_rs = 0;\n");
  /* the locals follow the frame (goc__locals_push); the arena aligns to
   * 16, an over-aligned local needs more */
  const char *lsz = "sizeof(struct goc_locals) + (_Alignof(struct goc_locals) > GOC_ARENA_ALIGN ? "
                    "_Alignof(struct goc_locals) : 0)";
  const char *lalign = "if (_Alignof(struct goc_locals) > GOC_ARENA_ALIGN) goc_L = (struct goc_locals *)(((__UINTPTR_TYPE__)goc_L + "
                       "_Alignof(struct goc_locals) - 1) & ~(__UINTPTR_TYPE__)(_Alignof(struct goc_locals) - 1));\n";
  if (nfields)
    buf_printf(&out, "if (goc_fr->goc_hdr.resume) { goc_L = (struct goc_locals *)goc__locals_at(goc_cur, goc_frp, "
                     "sizeof(struct %s__frame), %s);\n%s%sgoto *goc_resume[goc_fr->goc_hdr.resume]; }\n", fr, lsz, lalign,
               finish);
  else
    buf_printf(&out, "if (goc_fr->goc_hdr.resume) { goc_L = ((void *)0); %sgoto *goc_resume[goc_fr->goc_hdr.resume]; }\n",
               finish);
  buf_puts(&out, "goc_entry:\n");
  if (nfields)
    buf_printf(&out, "goc_L = (struct goc_locals *)goc__locals_push(goc_cur, goc_frp, sizeof(struct %s__frame), %s);\n%s",
               fr, lsz, lalign);
  else
    buf_puts(&out, "goc_L = ((void *)0); (void)goc_L;\n");
  /* a goroutine that never suspended is listed at its function's line */
  buf_printf(&out, "goc_fr->goc_hdr.line = %d;\n", node_line(fn->def, NULL));
  if (fn->is_main) buf_puts(&out, "goc_fr->goc_ret = 0;\n");
  buf_puts(&out, buf_str(&entry));
  buf_puts(&out, buf_str(&body));
  buf_puts(&out, "\nreturn GOC_DONE;\n}\n");
  buf_printf(&out, "%sconst goc_fninfo %s__fi = { %s__step, ", fn->is_static || fn->is_main ? "static " : "", fr,
             step_name(fn));
  buf_put_cstr(&out, fn->name);
  buf_puts(&out, ", ");
  buf_put_cstr(&out, node_file(fn->def));
  buf_puts(&out, " };\n");
  generated_end(&out);
  generated_begin(&out, IN_REST);
  /* What a first frame of F takes in the arena, for the go statements
   * that start F (goc__go_new_sized): the step's declarations again, here
   * only to name the locals' struct (a constant once inlined). Static
   * locals stay the step's own: with them, the size is not known. */
  bool has_statics = false;   /* whose initialisers may name the step's labels */
  for (int i = 0; i < fx.nslots; i++) has_statics |= fx.slots[i].is_static;
  emit_line(&fx, fn->def, &out);
  buf_printf(&out, "%s__SIZE_TYPE__ %s__first(void) {\n", fn->is_static || fn->is_main ? "static " : "", fr);
  if (has_statics) {
    buf_puts(&out, "return GOC__FIRST_UNKNOWN;\n}\n");
  } else {
    buf_puts(&out, "goc_g *goc_cur = ((void *)0); goc_frame *goc_frp = ((void *)0);");
    if (!fn->frame_in_functions) buf_printf(&out, " struct %s__frame *goc_fr = ((void *)0);", fr);
    buf_putc(&out, '\n');
    buf_puts(&out, buf_str(&decls));
    if (nfields) buf_printf(&out, ";\nreturn GOC__FIRST_BYTES(struct %s__frame, struct goc_locals);\n}\n", fr);
    else buf_printf(&out, ";\nreturn GOC__ARENA_ROUND(sizeof(struct %s__frame));\n}\n", fr);
  }
  buf_free(&decls);
  if (!fn->lifted) {
    /* the signature as the user wrote it, at its own line and column:
       gcc's -Wunused-parameter points into it */
    if (!fn->is_main) buf_puts(&out, "\n__attribute__((unused))");
    emit_line(&fx, fn->def, &out);
    emit_c_entry(s, fn, &fx, &out);
    emit_gofn_decl(fn, &out, true);
  }
  generated_end(&out);
  if (spills_out) {
    *nslots_out = fx.nslots;
    *spills_out = xcalloc((size_t)fx.nslots + 1, sizeof(int));
    for (int i = 0; i < fx.nslots; i++) (*spills_out)[i] = fx.slots[i].nspills;
  }
  buf pinned = {0};
  pin_lines(buf_str(&out), &pinned);
  buf_free(&out);
  out = pinned;
  buf_free(&body);
  buf_free(&entry);
  buf_free(&fx.temps);
  buf_free(&fx.thunk_structs);
  buf_free(&fx.thunk_dispatch);
  for (int k = 0; k < fx.resume_to_cap; k++) free(fx.resume_to[k]);
  free(fx.resume_to);
  free(fx.recv_fin);
  for (int i = 0; i < fx.nslots; i++) {
    free(fx.slots[i].name);
    free(fx.slots[i].cname);
    free(fx.slots[i].fname);
    free(fx.slots[i].align);
    free(fx.slots[i].decl);
    free(fx.slots[i].refs);
    free(fx.slots[i].cleanup_fn);
  }
  free(fx.loops_span);
  free(fx.slots);
  idmap_free(&fx.slot_at);
  idmap_free(&fx.susp);
  for (int i = 0; i < fx.nfree; i++) free(fx.free_names[i]);
  free(fx.free_names);
  free(fx.live);
  return buf_take(&out);
}

/* Locals stay in registers and are spilled at each suspension that may
 * need them; a local spilled at many suspension points (a long function
 * full of calls that can block) instead lives in the locals area for good,
 * so the output stays proportional to the input: one more pass decides. */
enum { SPILLS_PER_LOCAL = 32, SPILLS_PER_FUNCTION = 256, SPILLS_OF_BUSY_LOCAL = 4 };

char *lower_function(program *p, const source *s, fninfo *fn) {
  int *spills = NULL, nslots = 0;
  char *first = lower_function_once(p, s, fn, NULL, 0, &spills, &nslots);
  long total = 0;
  for (int i = 0; i < nslots; i++) total += spills[i];
  bool *force = xcalloc((size_t)nslots + 1, sizeof(bool));
  bool any = false;
  for (int i = 0; i < nslots; i++) {
    force[i] = spills[i] >= SPILLS_PER_LOCAL || (total >= SPILLS_PER_FUNCTION && spills[i] >= SPILLS_OF_BUSY_LOCAL);
    any |= force[i];
  }
  free(spills);
  if (!any || !first) {
    free(force);
    return first;
  }
  /* the same function again: its diagnostics were reported the first time */
  int saved = diag_count;
  bool quiet = diag_quiet;
  diag_quiet = true;
  char *second = lower_function_once(p, s, fn, force, nslots, NULL, NULL);
  diag_quiet = quiet;
  diag_count = saved;
  free(force);
  free(first);
  return second;
}
