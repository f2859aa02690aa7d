/* header_overlay.c — user headers premarked like the .goc file.
 *
 * The front end premarks every `<-` the user wrote (preprocess.c), but the
 * preprocessor reads headers itself: a macro in a user header whose body
 * holds a receive or a send would reach the .goc unmarked, and a `<-` that
 * expansion creates in a header could not be told from one the user wrote.
 * When some user header the first preprocessing read holds a `<-` (or a
 * comment that says "fall through", which premark keeps), the
 * text is preprocessed again from an overlay: a temporary tree that
 * mirrors, under its own root, the .goc file and every user header that
 * run read, each premarked and opening with a line marker of its own name
 * (so __FILE__, diagnostics, the line map and depfiles name the real
 * file). The .goc's copy is the input, so its directory is searched in the
 * overlay first; -iquote and -I directories get their overlay twin ahead of
 * them. System headers are never mirrored: their `<-` stay C.
 *
 * Invariants: the overlay exists only between overlay_make and
 * overlay_free (and a fatal error removes it: diag_cleanup_overlay); a
 * path is mirrored at ROOT + its absolute spelling (not its real path: a
 * header's "../x.h" resolves as it would beside the original).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "transform.h"

struct overlay {
  char *root;
  char *main;      /* the input: the .goc's premarked copy */
  char **made;     /* files and directories created, in creation order */
  int nmade;
};

static char *absolute(const char *p) {
  if (p[0] == '/') return xstrdup(p);
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd)) return xstrdup(p);
  return xasprintf("%s/%s", cwd, p);
}

static void made(overlay *o, const char *p) {
  o->made = xrealloc(o->made, sizeof(char *) * (size_t)(o->nmade + 1));
  o->made[o->nmade++] = xstrdup(p);
}

/* Creates path's missing parent directories under the root. */
static bool parents(overlay *o, const char *path) {
  char *p = xstrdup(path);
  bool ok = true;
  for (char *s = p + strlen(o->root) + 1; ok && (s = strchr(s, '/')); s++) {
    *s = 0;
    if (mkdir(p, 0700) == 0) made(o, p);
    else if (errno != EEXIST) ok = false;
    *s = '/';
  }
  free(p);
  return ok;
}

/* Writes ROOT + abs(name): a line marker naming `name` (unless the text
 * opens with its own), then text; *where gets the copy's path. */
static bool mirror(overlay *o, const char *name, bool marker, const char *text, size_t n, char **where) {
  char *abs = absolute(name);
  char *path = xasprintf("%s%s", o->root, abs);
  free(abs);
  FILE *f = parents(o, path) ? fopen(path, "wb") : NULL;
  bool ok = f != NULL;
  if (f) {
    made(o, path);
    if (marker) {
      buf q = {0};
      buf_puts(&q, "# 1 ");
      buf_put_cstr(&q, name);
      buf_putc(&q, '\n');
      fwrite(q.s, 1, q.len, f);
      buf_free(&q);
    }
    fwrite(text, 1, n, f);
    ok = fclose(f) == 0;
  } else {
    diag_if_oom();
  }
  if (ok && where) *where = path;
  else free(path);
  return ok;
}

/* A header's text; NULL for what is not a regular file (with -g, gcc -E
 * names the working directory in a line marker of its own). */
static char *read_all(const char *path, size_t *n) {
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return NULL;
  return file_text(path, n);
}

void overlay_free(overlay *o) {
  if (!o) return;
  for (int i = o->nmade - 1; i >= 0; i--) {   /* files before their directories */
    if (unlink(o->made[i]) != 0) rmdir(o->made[i]);
    free(o->made[i]);
  }
  rmdir(o->root);
  diag_cleanup_overlay(NULL);
  free(o->made);
  free(o->main);
  free(o->root);
  free(o);
}

overlay *overlay_make(const char *path, const char *input, size_t inlen, char **headers, int nheaders,
                      bool *has_marks) {
  char **raw = xcalloc((size_t)nheaders + 1, sizeof *raw);
  char **marked = xcalloc((size_t)nheaders + 1, sizeof *marked);
  size_t *len = xcalloc((size_t)nheaders + 1, sizeof *len);
  bool needed = false;
  for (int i = 0; i < nheaders; i++) {
    raw[i] = read_all(headers[i], &len[i]);
    if (!raw[i]) continue;
    /* a fall-through comment is reason enough: the preprocessor drops it */
    marked[i] = premark(raw[i], len[i], true);
    needed |= memcmp(marked[i], raw[i], len[i]) != 0;
  }
  overlay *o = NULL;
  if (needed) {
    o = xcalloc(1, sizeof *o);
    const char *base = getenv("TMPDIR");
    o->root = xasprintf("%s/goc-headers-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(o->root)) diag_fatal("cannot create a temporary directory: %s", strerror(errno));
    diag_cleanup_overlay(o->root);
    bool ok = true;
    for (int i = 0; i < nheaders && ok; i++) {
      if (!raw[i]) continue;
      for (size_t k = 0; k + 1 < len[i] && !*has_marks; k++) *has_marks = raw[i][k] == '@' && raw[i][k + 1] == '@';
      ok = mirror(o, headers[i], true, marked[i], len[i], NULL);
    }
    /* the input already opens with the .goc's own line marker */
    ok = ok && mirror(o, path, false, input, inlen, &o->main);
    if (!ok) {
      fprintf(stderr, "goc: error: cannot write the header overlay under %s: %s\n", o->root, strerror(errno));
      diag_count++;
      overlay_free(o);
      o = NULL;
    }
  }
  for (int i = 0; i < nheaders; i++) {
    free(raw[i]);
    free(marked[i]);
  }
  free(raw);
  free(marked);
  free(len);
  return o;
}

const char *overlay_input(const overlay *o) { return o->main; }

char *overlay_twin(const overlay *o, const char *dir) {
  char *abs = absolute(dir);
  char *t = xasprintf("%s%s", o->root, abs);
  free(abs);
  return t;
}
