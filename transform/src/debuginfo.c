/* debuginfo.c — points the DWARF location of each twin (an array or
 * address-taken local of a goroutine function, which lives in the frame's
 * locals area, goc_L->FIELD) at that live storage, so that gdb's own
 * lookup of the name, and so every expression of gdb and of its MI, reads
 * the live value.
 *
 * The lowering declares the twin static (analyse.c, twin_decl), so gcc
 * gives it a 9-byte location, DW_OP_addr ADDR; in a linked file that is
 * rewritten in place into DW_OP_fbreg <goc_L's slot>; DW_OP_deref;
 * DW_OP_plus_uconst <FIELD's offset>, padded with DW_OP_nop. Nothing
 * moves, so no other offset of the file changes.
 *
 * Invariants: a location is rewritten only when all of it is known: the
 * twin's type is (a qualified) typedef goc_in_L__FIELD; its subprogram has
 * a goc_L whose location is one DW_OP_fbreg and a struct goc_locals with a
 * member FIELD at a constant offset; the new expression fits. Anything else
 * (optimised code, where goc_L lives in registers; clang's DW_OP_addrx; an
 * object file, whose relocations would write the address back; a
 * compressed, 32-bit or big-endian file) is left as it is, and goc-gdb.py
 * reads the live value through its own rewrite. A second run finds nothing
 * to do. */
#include "buf.h"
#include "transform.h"

#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { DW_TAG_structure_type = 0x13, DW_TAG_typedef = 0x16, DW_TAG_member = 0x0d, DW_TAG_variable = 0x34,
       DW_TAG_subprogram = 0x2e, DW_TAG_const_type = 0x26, DW_TAG_volatile_type = 0x35 };
enum { DW_AT_name = 0x03, DW_AT_location = 0x02, DW_AT_type = 0x49, DW_AT_data_member_location = 0x38 };
enum { DW_OP_addr = 0x03, DW_OP_deref = 0x06, DW_OP_plus_uconst = 0x23, DW_OP_fbreg = 0x91, DW_OP_nop = 0x96 };

typedef struct { const uint8_t *p, *end; bool bad; } reader;
typedef struct { const uint8_t *data; size_t size; } section;

static uint64_t rd(reader *r, int n) {
  if (r->end - r->p < n) { r->bad = true; r->p = r->end; return 0; }
  uint64_t v = 0;
  for (int i = 0; i < n; i++) v |= (uint64_t)r->p[i] << (8 * i);
  r->p += n;
  return v;
}

static uint64_t uleb(reader *r) {
  uint64_t v = 0;
  for (int shift = 0; r->p < r->end; shift += 7) {
    uint8_t b = *r->p++;
    if (shift < 64) v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  r->bad = true;
  return v;
}

static int64_t sleb(reader *r) {
  int64_t v = 0;
  int shift = 0;
  uint8_t b = 0x80;
  while (r->p < r->end && (b & 0x80)) {
    b = *r->p++;
    if (shift < 64) v |= (int64_t)(b & 0x7f) << shift;
    shift += 7;
  }
  if (b & 0x80) r->bad = true;
  else if (shift < 64 && (b & 0x40)) v |= -((int64_t)1 << shift);
  return v;
}

static void skip(reader *r, uint64_t n) {
  if ((uint64_t)(r->end - r->p) < n) { r->bad = true; r->p = r->end; } else r->p += n;
}

/* ---- abbreviations ---- */
typedef struct { uint64_t name, form; int64_t implicit; } abbrev_attr;
typedef struct { uint64_t code, tag; bool children; int nattr; abbrev_attr *attr; } abbrev;
typedef struct { abbrev *v; int n; } abbrevs;

static void abbrevs_free(abbrevs *t) {
  for (int i = 0; i < t->n; i++) free(t->v[i].attr);
  free(t->v);
  t->v = NULL, t->n = 0;
}

static bool abbrevs_read(abbrevs *t, section s, uint64_t off) {
  if (off >= s.size) return false;
  reader r = {s.data + off, s.data + s.size, false};
  for (;;) {
    uint64_t code = uleb(&r);
    if (r.bad) return false;
    if (!code) return true;
    abbrev a = {code, uleb(&r), false, 0, NULL};
    a.children = rd(&r, 1) != 0;
    for (;;) {
      abbrev_attr at = {uleb(&r), uleb(&r), 0};
      if (at.form == 0x21) at.implicit = sleb(&r);   /* DW_FORM_implicit_const */
      if (r.bad) { free(a.attr); return false; }
      if (!at.name && !at.form) break;
      a.attr = xrealloc(a.attr, (a.nattr + 1) * sizeof *a.attr);
      a.attr[a.nattr++] = at;
    }
    t->v = xrealloc(t->v, (t->n + 1) * sizeof *t->v);
    t->v[t->n++] = a;
  }
}

static const abbrev *abbrev_of(const abbrevs *t, uint64_t code) {
  if (code >= 1 && code <= (uint64_t)t->n && t->v[code - 1].code == code) return &t->v[code - 1];
  for (int i = 0; i < t->n; i++)
    if (t->v[i].code == code) return &t->v[i];
  return NULL;
}

/* ---- one attribute's value ---- */
typedef struct {
  uint64_t form, u;       /* a constant or a reference's offset in the CU */
  int64_t s;
  bool is_const, is_ref;
  const char *str;        /* a name */
  const uint8_t *block;   /* an expression and its length */
  uint64_t len;
} attr_value;

typedef struct { section str, line_str; int addr_size; } strings;

static const char *str_at(section s, uint64_t off) {
  if (off >= s.size || !memchr(s.data + off, 0, s.size - off)) return NULL;
  return (const char *)s.data + off;
}

/* Reads one attribute of form; false on a form it does not know. */
static bool read_form(reader *r, uint64_t form, int64_t implicit, const strings *st, attr_value *v) {
  memset(v, 0, sizeof *v);
  v->form = form;
  switch (form) {
  case 0x01: rd(r, st->addr_size); return true;                       /* addr */
  case 0x0b: case 0x05: case 0x06: case 0x07:                         /* data1, 2, 4, 8 */
    v->u = rd(r, form == 0x0b ? 1 : form == 0x05 ? 2 : form == 0x06 ? 4 : 8);
    v->s = (int64_t)v->u, v->is_const = true;
    return true;
  case 0x0d: v->s = sleb(r); v->u = (uint64_t)v->s; v->is_const = true; return true;   /* sdata */
  case 0x0f: v->u = uleb(r); v->s = (int64_t)v->u; v->is_const = true; return true;    /* udata */
  case 0x21: v->s = implicit; v->u = (uint64_t)implicit; v->is_const = true; return true;
  case 0x11: case 0x12: case 0x13: case 0x14:                         /* ref1, 2, 4, 8 */
    v->u = rd(r, form == 0x11 ? 1 : form == 0x12 ? 2 : form == 0x13 ? 4 : 8);
    v->is_ref = true;
    return true;
  case 0x15: v->u = uleb(r); v->is_ref = true; return true;           /* ref_udata */
  case 0x08:                                                          /* string */
    v->str = (const char *)r->p;
    while (r->p < r->end && *r->p) r->p++;
    if (r->p == r->end) { r->bad = true; return true; }
    r->p++;
    return true;
  case 0x0e: v->str = str_at(st->str, rd(r, 4)); return true;          /* strp */
  case 0x1f: v->str = str_at(st->line_str, rd(r, 4)); return true;     /* line_strp */
  case 0x18: case 0x09: case 0x0a: case 0x03: case 0x04:               /* exprloc, block, block1, 2, 4 */
    v->len = form == 0x0a ? rd(r, 1) : form == 0x03 ? rd(r, 2) : form == 0x04 ? rd(r, 4) : uleb(r);
    v->block = r->p;
    skip(r, v->len);
    return true;
  case 0x0c: case 0x25: case 0x29: rd(r, 1); return true;              /* flag, strx1, addrx1 */
  case 0x26: case 0x2a: rd(r, 2); return true;                         /* strx2, addrx2 */
  case 0x27: case 0x2b: rd(r, 3); return true;                         /* strx3, addrx3 */
  case 0x10: case 0x17: case 0x1c: case 0x1d: case 0x28: case 0x2c:    /* ref_addr, sec_offset, sup, strx4, addrx4 */
  case 0x1f20: case 0x1f21:                                            /* GNU_ref_alt, GNU_strp_alt */
    rd(r, 4);
    return true;
  case 0x20: case 0x24: rd(r, 8); return true;                         /* ref_sig8, ref_sup8 */
  case 0x1e: skip(r, 16); return true;                                 /* data16 */
  case 0x19: return true;                                              /* flag_present */
  case 0x1a: case 0x1b: case 0x22: case 0x23: case 0x1f01: case 0x1f02:   /* strx, addrx, loclistx, rnglistx, GNU */
    uleb(r);
    return true;
  case 0x16: {                                                         /* indirect */
    uint64_t f = uleb(r);
    return f != 0x16 && read_form(r, f, 0, st, v);
  }
  default: return false;
  }
}

/* ---- what one CU says ---- */
typedef struct { uint64_t off; char *field; } twin_type;             /* typedef goc_in_L__FIELD */
typedef struct { uint64_t off, target; } qualified;                  /* const/volatile T */
typedef struct { int fn; char *name; uint64_t offset; } member;       /* of fn's struct goc_locals */
typedef struct { int fn; uint64_t type; size_t pos; uint64_t len; } candidate;   /* a twin's DW_OP_addr */
typedef struct { bool has_L; int64_t fbreg; } function;

typedef struct {
  twin_type *types; int ntypes;
  qualified *quals; int nquals;
  member *members; int nmembers;
  candidate *cands; int ncands;
  function *fns; int nfns;
} unit;

static void unit_free(unit *u) {
  for (int i = 0; i < u->ntypes; i++) free(u->types[i].field);
  for (int i = 0; i < u->nmembers; i++) free(u->members[i].name);
  free(u->types), free(u->quals), free(u->members), free(u->cands), free(u->fns);
  memset(u, 0, sizeof *u);
}

#define PUSH(arr, n, val) ((arr) = xrealloc((arr), ((n) + 1) * sizeof *(arr)), (arr)[(n)++] = (val))

static const char *twin_field_of(const unit *u, uint64_t type) {
  for (int hops = 0; hops < 4; hops++) {
    for (int i = 0; i < u->ntypes; i++)
      if (u->types[i].off == type) return u->types[i].field;
    int q = -1;
    for (int i = 0; i < u->nquals && q < 0; i++)
      if (u->quals[i].off == type) q = i;
    if (q < 0) return NULL;
    type = u->quals[q].target;
  }
  return NULL;
}

static int put_uleb(uint8_t *o, uint64_t v) {
  int n = 0;
  do { o[n] = v & 0x7f; v >>= 7; if (v) o[n] |= 0x80; n++; } while (v);
  return n;
}

static int put_sleb(uint8_t *o, int64_t v) {
  int n = 0;
  for (bool more = true; more; n++) {
    uint8_t b = v & 0x7f;
    v >>= 7;
    more = !((v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40)));
    o[n] = b | (more ? 0x80 : 0);
  }
  return n;
}

/* Rewrites each candidate of u whose every part is known; the count. */
static int unit_patch(const unit *u, uint8_t *info) {
  int done = 0;
  for (int i = 0; i < u->ncands; i++) {
    const candidate *c = &u->cands[i];
    const function *fn = &u->fns[c->fn];
    const char *field = twin_field_of(u, c->type);
    if (!fn->has_L || !field) continue;
    int m = -1;
    for (int k = 0; k < u->nmembers && m < 0; k++)
      if (u->members[k].fn == c->fn && !strcmp(u->members[k].name, field)) m = k;
    if (m < 0) continue;
    uint8_t e[32];
    int n = 0;
    e[n++] = DW_OP_fbreg;
    n += put_sleb(e + n, fn->fbreg);
    e[n++] = DW_OP_deref;
    e[n++] = DW_OP_plus_uconst;
    n += put_uleb(e + n, u->members[m].offset);
    if ((uint64_t)n > c->len) continue;
    memcpy(info + c->pos, e, n);
    memset(info + c->pos + n, DW_OP_nop, c->len - n);
    done++;
  }
  return done;
}

/* Walks one CU's DIEs from r (just past its header), filling u. */
static bool unit_read(reader *r, const abbrevs *ab, const strings *st, const uint8_t *info0, uint64_t cu_off, unit *u) {
  enum { MAXDEPTH = 256 };
  int fn_at[MAXDEPTH], depth = 0, fn = -1, struct_depth = -1;
  while (r->p < r->end && !r->bad) {
    uint64_t die_off = (uint64_t)(r->p - info0) - cu_off;
    uint64_t code = uleb(r);
    if (!code) {   /* the end of a DIE's children */
      if (depth == 0) continue;
      depth--;
      fn = fn_at[depth];
      if (struct_depth == depth) struct_depth = -1;
      continue;
    }
    const abbrev *a = abbrev_of(ab, code);
    if (!a) return false;
    const char *name = NULL;
    attr_value type = {0}, loc = {0}, mloc = {0};
    size_t loc_pos = 0;
    for (int i = 0; i < a->nattr; i++) {
      attr_value v;
      if (!read_form(r, a->attr[i].form, a->attr[i].implicit, st, &v) || r->bad) return false;
      switch (a->attr[i].name) {
      case DW_AT_name: name = v.str; break;
      case DW_AT_type: type = v; break;
      case DW_AT_location: loc = v; loc_pos = (size_t)(v.block ? v.block - info0 : 0); break;
      case DW_AT_data_member_location: mloc = v; break;
      }
    }
    if (a->tag == DW_TAG_subprogram) {
      PUSH(u->fns, u->nfns, ((function){false, 0}));
      if (a->children) {
        if (depth == MAXDEPTH) return false;
        fn_at[depth++] = fn;
        fn = u->nfns - 1;
      }
      continue;
    }
    if (a->tag == DW_TAG_typedef && name && !strncmp(name, "goc_in_L__", 10))
      PUSH(u->types, u->ntypes, ((twin_type){die_off, xstrdup(name + 10)}));
    else if ((a->tag == DW_TAG_const_type || a->tag == DW_TAG_volatile_type) && type.is_ref)
      PUSH(u->quals, u->nquals, ((qualified){die_off, type.u}));
    else if (a->tag == DW_TAG_member && fn >= 0 && struct_depth == depth - 1 && name) {
      uint64_t off;
      reader e = {mloc.block, mloc.block + mloc.len, false};
      if (mloc.is_const) off = mloc.u;
      else if (mloc.block && rd(&e, 1) == DW_OP_plus_uconst) off = uleb(&e);
      else goto next;
      if (!e.bad) PUSH(u->members, u->nmembers, ((member){fn, xstrdup(name), off}));
    } else if (a->tag == DW_TAG_variable && fn >= 0 && name && loc.block) {
      reader e = {loc.block, loc.block + loc.len, false};
      uint8_t op = (uint8_t)rd(&e, 1);
      if (!strcmp(name, "goc_L") && op == DW_OP_fbreg) {
        int64_t v = sleb(&e);
        if (!e.bad && e.p == e.end) u->fns[fn].has_L = true, u->fns[fn].fbreg = v;
      } else if (op == DW_OP_addr && type.is_ref && loc.len == 1 + (uint64_t)st->addr_size) {
        PUSH(u->cands, u->ncands, ((candidate){fn, type.u, loc_pos, loc.len}));
      }
    }
  next:
    if (a->children) {
      if (depth == MAXDEPTH) return false;
      if (a->tag == DW_TAG_structure_type && name && !strcmp(name, "goc_locals") && fn >= 0) struct_depth = depth;
      fn_at[depth++] = fn;
    }
  }
  return !r->bad;
}

/* One CU, from r (just past its unit_length): the locations rewritten. */
static int patch_unit(reader cu, uint8_t *info, uint64_t cu_off, section abbrev_sec, strings st) {
  uint16_t version = (uint16_t)rd(&cu, 2);
  uint64_t abbrev_off;
  if (version >= 5) {
    uint8_t kind = (uint8_t)rd(&cu, 1);
    st.addr_size = (int)rd(&cu, 1);
    abbrev_off = rd(&cu, 4);
    if (kind != 1) return 0;   /* not DW_UT_compile */
  } else if (version >= 2) {
    abbrev_off = rd(&cu, 4);
    st.addr_size = (int)rd(&cu, 1);
  } else {
    return 0;
  }
  abbrevs ab = {0};
  unit u = {0};
  int done = 0;
  if (!cu.bad && abbrevs_read(&ab, abbrev_sec, abbrev_off) && unit_read(&cu, &ab, &st, info, cu_off, &u))
    done = unit_patch(&u, info);
  unit_free(&u);
  abbrevs_free(&ab);
  return done;
}

/* Walks every CU of info; the number of locations rewritten. */
static int patch_info(uint8_t *info, size_t size, section abbrev_sec, section str, section line_str) {
  int done = 0;
  strings st = {str, line_str, 8};
  for (size_t off = 0; off + 11 <= size;) {
    reader r = {info + off, info + size, false};
    uint64_t len = rd(&r, 4);
    if (len >= 0xfffffff0 || len > size - off - 4) break;   /* DWARF64, or damaged */
    done += patch_unit((reader){r.p, r.p + len, false}, info, off, abbrev_sec, st);
    off += 4 + len;
  }
  return done;
}

int debuginfo_live_twins(const char *path) {
  int fd = open(path, O_RDWR);
  if (fd < 0) return -1;
  off_t size = lseek(fd, 0, SEEK_END);
  uint8_t *file = size > (off_t)sizeof(Elf64_Ehdr) ? malloc((size_t)size) : NULL;
  int done = -1;
  if (!file || pread(fd, file, (size_t)size, 0) != size) goto out;
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)file;
  done = 0;
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
      eh->e_ident[EI_DATA] != ELFDATA2LSB || (eh->e_type != ET_EXEC && eh->e_type != ET_DYN))
    goto out;
  if (eh->e_shentsize != sizeof(Elf64_Shdr) || !eh->e_shnum || eh->e_shstrndx >= eh->e_shnum ||
      eh->e_shoff > (uint64_t)size || (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > (uint64_t)size - eh->e_shoff)
    goto out;
  const Elf64_Shdr *sh = (const Elf64_Shdr *)(file + eh->e_shoff);
  const Elf64_Shdr *names = &sh[eh->e_shstrndx];
  section info = {0}, abbrev_sec = {0}, str = {0}, line_str = {0};
  size_t info_off = 0;
  for (int i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_type == SHT_NOBITS || sh[i].sh_offset > (uint64_t)size || sh[i].sh_size > (uint64_t)size - sh[i].sh_offset ||
        sh[i].sh_name >= names->sh_size || names->sh_offset + sh[i].sh_name >= (uint64_t)size)
      continue;
    const char *nm = (const char *)file + names->sh_offset + sh[i].sh_name;
    if (!memchr(nm, 0, (size_t)size - (names->sh_offset + sh[i].sh_name))) continue;
    section s = {file + sh[i].sh_offset, sh[i].sh_size};
    bool compressed = (sh[i].sh_flags & SHF_COMPRESSED) != 0;
    if (!strcmp(nm, ".debug_info")) {
      if (compressed) goto out;
      info = s, info_off = sh[i].sh_offset;
    } else if (!strcmp(nm, ".debug_abbrev")) {
      if (compressed) goto out;
      abbrev_sec = s;
    } else if (!strcmp(nm, ".debug_str")) {
      str = compressed ? (section){0} : s;
    } else if (!strcmp(nm, ".debug_line_str")) {
      line_str = compressed ? (section){0} : s;
    }
  }
  if (!info.size || !abbrev_sec.size) goto out;
  uint8_t *copy = malloc(info.size);
  if (!copy) { done = -1; goto out; }
  memcpy(copy, info.data, info.size);
  done = patch_info(copy, info.size, abbrev_sec, str, line_str);
  /* only the bytes that changed go back */
  for (size_t i = 0; i < info.size && done > 0; i++) {
    if (copy[i] == info.data[i]) continue;
    size_t j = i;
    while (j < info.size && copy[j] != info.data[j]) j++;
    if (pwrite(fd, copy + i, j - i, (off_t)(info_off + i)) != (ssize_t)(j - i)) { done = -1; break; }
    i = j;
  }
  free(copy);
out:
  free(file);
  close(fd);
  return done;
}

int cmd_debuginfo(int argc, char **argv) {
  if (argc < 1) {
    fputs("usage: goc debuginfo FILE...\n", stderr);
    return 2;
  }
  int status = 0;
  for (int i = 0; i < argc; i++)
    if (debuginfo_live_twins(argv[i]) < 0) {
      fprintf(stderr, "goc debuginfo: %s: cannot read or write it\n", argv[i]);
      status = 1;
    }
  return status;
}
