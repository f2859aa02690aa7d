# live.py — what a name of a goroutine function's local means at a pc:
# live_expression() rewrites an expression so that it reads the live
# storage; breakpoint conditions are rewritten so, and a pretty-printer
# shows a twin as its live storage.
import re

import gdb


# ---- Locals ---------------------------------------------------------------
# An array or address-taken local of a goroutine function lives in the
# frame's locals area, at (goc_L->FIELD); the step function still declares a
# twin under the local's name, in the local's block, only for __typeof__.
# The twin's type is the typedef goc_in_L__FIELD, so gdb's own scope lookup
# finds, for a name at the current pc, either a real C local (live) or a
# twin that says where the value is. Where `goc debuginfo` rewrote the
# twin's DWARF location (gcc -O0), gdb's own lookup already reads the live
# storage; this covers the rest (optimised code, clang, other link steps)
# and what debug info cannot say (watch's location, whatis's type, the
# lowering's locals hidden). C has no references and gdb lets
# Python neither hook its symbol lookup nor call a built-in command it has
# replaced, so the commands that take an expression are replaced by ones
# that rewrite each name resolving to a twin into (goc_L->FIELD) (and one
# resolving to a register local renamed name__N into that name), then
# evaluate and print as gdb does: print, call, output, printf, x, display, watch
# (rwatch, awatch: a twin is watched at its live location, as watch -l),
# whatis and set variable. Member names, strings, $ history and registers,
# and everything outside goroutine functions pass unchanged. Breakpoint
# conditions are rewritten when they are set. A pretty-printer on the
# twin's type covers what prints the twin itself (MI variable objects and
# -data-evaluate-expression of a bare name); info locals, bt full and MI's
# stack lists show the locals the user wrote, by their own names.
_TWIN = "goc_in_L__"
_NOT_A_NAME = (".", "->", "::", "struct", "union", "enum")
_LOWERING_TYPE = re.compile(r"goc_in_L__\w+$|goc_T[0-9]+$")


def _twin_field(t):
    if t.code == gdb.TYPE_CODE_TYPEDEF and t.name and t.name.startswith(_TWIN):
        return t.name[len(_TWIN):]
    return None


def _local_named(name, block):
    """The local name means in block: the innermost of that name, or of
    name__N, name__pN (a register local shadowed by an inner one of its
    name across a suspension is renamed so; docs/debugging.md); or None."""
    renamed = re.compile(re.escape(name) + r"__p?[0-9]+$")
    while block is not None and not block.is_static and not block.is_global:
        for sym in block:
            if (sym.name == name or renamed.match(sym.name)) and (sym.is_variable or sym.is_argument):
                return sym
        if block.function is not None:
            break
        block = block.superblock
    return None


def _live_ref(name, block, base):
    """What to write for name in block, or None to leave it as written."""
    sym = _local_named(name, block)
    if sym is None:
        return None
    field = _twin_field(sym.type)
    if field:
        return "(%s->%s)" % (base(), field)
    return sym.name if sym.name != name else None


# Where the locals area is: goc_L; where optimisation dropped it (at -O2 it
# is mostly <optimized out>), where the step put it by goc__locals_push's
# rule (goc_abi.h): right after the frame if they fit in the frame's arena
# chunk, else at the start of the chunk above that one. (Locals aligned
# past 16 bytes start a little further on; not handled here.)
def _round16(n):
    return (n + 15) & ~15


def _after_frame(g, fr, lsize):
    """The address of the locals of frame fr (a struct F__frame *) on G g."""
    head = g.cast(gdb.lookup_type("goc_g_head").pointer()).dereference()
    f = int(fr)
    at = f + _round16(fr.dereference().type.sizeof)
    end, size = int(head["arena_end"]), int(head["arena_size"])
    if end - size <= f < end:
        return at
    gg = g.cast(gdb.lookup_type("struct goc_g").pointer()).dereference()
    chunk0 = int(gg["chunk0_data"].address)
    chunk_t = gdb.lookup_type("goc_chunk")
    c = None if end - size == chunk0 else end - size - chunk_t.sizeof
    above = None
    while True:
        if c is None:
            base, cend = chunk0, chunk0 + int(gg["cls"]) * 16
        else:
            ch = gdb.Value(c).cast(chunk_t.pointer()).dereference()
            base = c + chunk_t.sizeof
            cend = base + int(ch["size"])
        if base <= f < cend:
            if cend - at >= _round16(lsize):
                return at
            return None if above is None else above + chunk_t.sizeof
        if c is None:
            return None
        above = c
        prev = int(ch["prev"])
        c = None if prev == 0 else prev


def _frame_locals(frame):
    """(address of the locals, their pointer type) of a step's frame, or None."""
    block = frame.block()
    goc_l = gdb.lookup_symbol("goc_L", block)[0]
    g = gdb.lookup_symbol("goc_cur", block)[0]
    fr = gdb.lookup_symbol("goc_fr", block)[0]
    frp = gdb.lookup_symbol("goc_frp", block)[0]
    if goc_l is None or g is None or fr is None:
        return None
    gv = g.value(frame)
    try:
        frv = fr.value(frame)
        int(frv)
    except gdb.error:
        frv = frp.value(frame).cast(fr.type)
    addr = _after_frame(gv, frv, goc_l.type.target().sizeof)
    return None if addr is None else (addr, goc_l.type)


def _selected_area_base():
    try:
        if int(gdb.parse_and_eval("goc_L")) != 0:
            return "goc_L"
    except gdb.error:
        pass
    try:
        at = _frame_locals(gdb.selected_frame())
        if at is not None:
            return "((struct goc_locals *)0x%x)" % at[0]
    except (gdb.error, RuntimeError, AttributeError):
        pass
    return "goc_L"


def _locals_area(frame):
    """goc_L of frame's step function, dereferenced, or None."""
    try:
        block = frame.block()
        goc_l = gdb.lookup_symbol("goc_L", block)[0]
        if goc_l is None:
            return None
        try:
            area = goc_l.value(frame)
            int(area)
        except gdb.error:
            at = _frame_locals(frame)
            if at is None:
                return None
            area = gdb.Value(at[0]).cast(at[1])
        return area.dereference()
    except (gdb.error, RuntimeError, AttributeError):
        return None


_TOKEN = re.compile(r"""
    (?P<str>"(?:\\.|[^"\\])*"?|'(?:\\.|[^'\\])*'?)
  | (?P<dollar>\$[\w$]*)
  | (?P<num>\.?\d[\w.]*)
  | (?P<name>[A-Za-z_]\w*)
  | (?P<op>->|::|\S)
  | (?P<space>\s+)""", re.X)


def live_expression(expr, block, base=None):
    """expr with every name that means a twin in block written (goc_L->FIELD),
    and every name that means a renamed register local written name__N.
    base: how to write goc_L; by default, as the selected frame reaches it."""
    if block is None:
        return expr
    cache = [base]

    def area_base():
        if cache[0] is None:
            cache[0] = _selected_area_base()
        return cache[0]
    out, prev, pos = [], "", 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        tok, pos = m.group(), m.end()
        if m.lastgroup == "name" and prev not in _NOT_A_NAME and not expr[pos:].lstrip().startswith("::"):
            tok = _live_ref(tok, block, area_base) or tok
        if m.lastgroup != "space":
            prev = m.group()
        out.append(tok)
    return "".join(out)


def _selected_block():
    try:
        return gdb.selected_frame().block()
    except (gdb.error, RuntimeError):
        return None


def _live(expr):
    return live_expression(expr, _selected_block())


def _user_type(t):
    """t with the lowering's typedefs (a twin's goc_in_L__FIELD, a slot's
    goc_TN) peeled, down through pointers and arrays: the type the user wrote."""
    if t.code == gdb.TYPE_CODE_TYPEDEF and t.name and _LOWERING_TYPE.match(t.name):
        return _user_type(t.target())
    if t.code == gdb.TYPE_CODE_PTR:
        inner = _user_type(t.target())
        return t if str(inner) == str(t.target()) else inner.pointer()
    if t.code == gdb.TYPE_CODE_ARRAY and t.sizeof and t.target().sizeof:
        inner = _user_type(t.target())
        return t if str(inner) == str(t.target()) else inner.array(t.sizeof // t.target().sizeof - 1)
    return t


# print's options are gdb's `set print` settings of the same names: each is


def _evaluate(expr):
    try:
        v = gdb.parse_and_eval(_live(expr) if expr.strip() else "$")
        v.fetch_lazy()
        return v
    except gdb.error as e:
        raise gdb.GdbError(str(e))   # gdb's own one-line message


def _live_condition(bp):
    """A breakpoint's condition, read in its location's scope as print reads
    (`break f.goc:12 if n > 3`, `condition 1 n > 3`); info breakpoints then
    shows the rewritten text."""
    cond = bp.condition
    if not cond or bp.type not in (gdb.BP_BREAKPOINT, gdb.BP_HARDWARE_BREAKPOINT):
        return
    for loc in bp.locations:
        try:
            block = gdb.block_for_pc(loc.address)
        except RuntimeError:
            block = None
        if block is not None:
            live = live_expression(cond, block, "goc_L")
            if live != cond:   # the rewritten text has no twin left: no loop
                bp.condition = live
            return


def _c_frames():
    try:
        f = gdb.selected_frame()
    except gdb.error:
        return
    yield f
    f = gdb.newest_frame()
    while f is not None:
        yield f
        f = f.older()


def _frame_of_twin(val):
    """The frame whose twin val is (by its address), or None."""
    addr = val.address
    if addr is None:
        return None
    for f in _c_frames():
        try:
            b = f.block()
        except RuntimeError:
            continue
        while b is not None and not b.is_static and not b.is_global:
            for sym in b:
                if sym.is_variable and sym.type.name == val.type.name:
                    try:
                        if sym.value(f).address == addr:
                            return f
                    except gdb.error:
                        pass
            if b.function is not None:
                break
            b = b.superblock
    return None


class LiveLocalPrinter:
    """A twin shown as its local's live storage, goc_L->FIELD of its frame."""

    def __init__(self, live):
        self.live = live

    def to_string(self):
        return self.live


class LiveAggregatePrinter:
    """A struct, union or (not char) array twin, shown as its live storage
    member by member, so that an MI variable object of it has children."""

    def __init__(self, live):
        self.live = live
        self.array = live.type.strip_typedefs().code == gdb.TYPE_CODE_ARRAY

    def to_string(self):
        return None

    def children(self):
        t = self.live.type.strip_typedefs()
        if self.array:
            lo, hi = t.range()
            for i in range(lo, hi + 1):
                yield "[%d]" % i, self.live[i]
            return
        for f in t.fields():
            if f.name is not None:
                yield f.name, self.live[f]

    def display_hint(self):
        return "array" if self.array else None


def _char_like(t):
    t = t.strip_typedefs()
    return t.code == gdb.TYPE_CODE_INT and t.sizeof == 1


def _live_local_lookup(val):
    field = _twin_field(val.type)
    if field is None:
        return None
    frame = _frame_of_twin(val)
    area = _locals_area(frame) if frame is not None else None
    if area is None:
        return None
    live = area[field]
    t = live.type.strip_typedefs()
    if t.code in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION) or (
            t.code == gdb.TYPE_CODE_ARRAY and not _char_like(t.target())):
        return LiveAggregatePrinter(live)
    return LiveLocalPrinter(live)


gdb.events.breakpoint_created.connect(_live_condition)
gdb.events.breakpoint_modified.connect(_live_condition)
gdb.pretty_printers.append(_live_local_lookup)
