# goc-gdb.py — gdb commands for goc programs (loaded from the program's
# .debug_gdb_scripts section, or by hand: `source <prefix>/share/goc/goc-gdb.py`).
#
#   info goroutines        every live goroutine: id, state, wait reason and
#                          its innermost .goc location (* marks the one this
#                          thread runs)
#   goroutine N bt         goroutine N's chain of .goc frames, innermost first
#   print EXPR             as gdb's, with the live value of every local of a
#   set variable EXPR      goroutine function (see "Locals" below); so are
#                          breakpoint conditions
#
# It reads the runtime's own records (goc__sched.allgs, the slabs of Gs; each G's frame chain
# with its function record, .goc file and line), so it works on a live process and on a
# core file alike; the wait reason's words come from the runtime when the
# process is live, else from the enumerator's name.
import re

import gdb

_STATES = {0: "idle", 1: "runnable", 2: "running", 3: "syscall", 4: "waiting", 5: "dead"}


def _str(v):
    try:
        return v.string() if int(v) != 0 else "?"
    except gdb.error:
        return "?"


def _reason(r):
    if int(r) == 0:
        return ""
    try:
        return gdb.parse_and_eval("goc__wait_reason_string(%d)" % int(r)).string()
    except gdb.error:
        try:
            return str(gdb.parse_and_eval("(goc_wait_reason)%d" % int(r)))
        except gdb.error:
            return str(int(r))


def _goroutines():
    # every G is in one of the slabs it was carved from (proc.c's galloc)
    # (Gs of one slab are `stride` bytes apart: a G and its first chunk)
    gptr = gdb.lookup_type("goc_g").pointer()
    slab = gdb.parse_and_eval("goc__sched.allgs")
    while int(slab) != 0:
        mem = int(slab["mem"].address)
        for i in range(int(slab["n"])):
            g = gdb.Value(mem + i * int(slab["stride"])).cast(gptr)
            if int(g["status"]) not in (0, 5):
                yield g
        slab = slab["next"]


def _frames(g):
    fr = g["h"]["top"]
    while int(fr) != 0:
        yield fr
        fr = fr["parent"]


def _where(fr):
    info = fr["info"]   # the function's static record; NULL before its first step
    if int(info) == 0:
        return "? at ?:%d" % int(fr["line"])
    return "%s at %s:%d" % (_str(info["func"]), _str(info["file"]), int(fr["line"]))


def _current():
    try:
        return int(gdb.parse_and_eval("goc__tls_g"))
    except gdb.error:
        return 0


class InfoGoroutines(gdb.Command):
    """List goc's goroutines: id, state, wait reason, innermost .goc frame."""

    def __init__(self):
        super().__init__("info goroutines", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        cur = _current()
        for g in sorted(_goroutines(), key=lambda g: int(g["id"])):
            st = _STATES.get(int(g["status"]), "?")
            reason = _reason(g["wait_reason"]) if st in ("waiting", "syscall") else ""
            top = next(_frames(g), None)
            where = _where(top) if top is not None else "(no frame)"
            mark = "*" if int(g) == cur else " "
            state = "%s [%s]" % (st, reason) if reason else st
            print("%s %4d %-28s %s" % (mark, int(g["id"]), state, where))


class GoroutineCmd(gdb.Command):
    """goroutine N bt: the .goc frames of goroutine N, innermost first."""

    def __init__(self):
        super().__init__("goroutine", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        args = arg.split()
        if len(args) != 2 or args[1] != "bt":
            raise gdb.GdbError("usage: goroutine N bt")
        want = int(args[0])
        for g in _goroutines():
            if int(g["id"]) != want:
                continue
            for i, fr in enumerate(_frames(g)):
                print("#%d  %s" % (i, _where(fr)))
            site = g["created"]   # the go statement's static record
            if int(site) != 0 and int(site["file"]) != 0:
                print("created by %s at %s:%d" % (_str(site["func"]), _str(site["file"]), int(site["line"])))
            return
        raise gdb.GdbError("no goroutine %d" % want)


# ---- Locals ---------------------------------------------------------------
# An array or address-taken local of a goroutine function lives in the
# frame's locals area, at (goc_L->FIELD); the step function still declares a
# twin under the local's name, in the local's block, only for __typeof__.
# The twin's type is the typedef goc_in_L__FIELD, so gdb's own scope lookup
# finds, for a name at the current pc, either a real C local (live) or a
# twin that says where the value is. C has no references, so gdb is shown
# the live value in two ways:
#   - `print` rewrites each name that resolves to a twin into (goc_L->FIELD)
#     (and one that resolves to a register local renamed name__N into that
#     name) and hands the expression to `call` (same options and /FMT;
#     `print` itself cannot be reached once replaced); member names,
#     strings, $ history and registers, and everything outside goroutine
#     functions pass unchanged;
#   - a pretty-printer on the twin's type shows the live field wherever gdb
#     prints the twin itself: info locals, bt full, display NAME, MI
#     variable objects.
# Breakpoint conditions are rewritten as print rewrites, when they are set.
_TWIN = "goc_in_L__"
_NOT_A_NAME = (".", "->", "::", "struct", "union", "enum")


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


def _live_ref(name, block):
    """What to write for name in block, or None to leave it as written."""
    sym = _local_named(name, block)
    if sym is None:
        return None
    field = _twin_field(sym.type)
    if field:
        return "(goc_L->%s)" % field
    return sym.name if sym.name != name else None


_TOKEN = re.compile(r"""
    (?P<str>"(?:\\.|[^"\\])*"?|'(?:\\.|[^'\\])*'?)
  | (?P<dollar>\$[\w$]*)
  | (?P<num>\.?\d[\w.]*)
  | (?P<name>[A-Za-z_]\w*)
  | (?P<op>->|::|\S)
  | (?P<space>\s+)""", re.X)


def live_expression(expr, block):
    """expr with every name that means a twin in block written (goc_L->FIELD),
    and every name that means a renamed register local written name__N."""
    out, prev, pos = [], "", 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        tok, pos = m.group(), m.end()
        if m.lastgroup == "name" and prev not in _NOT_A_NAME and not expr[pos:].lstrip().startswith("::"):
            tok = _live_ref(tok, block) or tok
        if m.lastgroup != "space":
            prev = m.group()
        out.append(tok)
    return "".join(out)


def _split_print_args(arg):
    """(options and /FMT, the expression) of a print command's argument."""
    head, rest = "", arg
    if rest.lstrip().startswith("-"):
        m = re.search(r"(?:^|\s)--(?:\s|$)", rest)
        if m:
            head, rest = rest[:m.end()], rest[m.end():]
    m = re.match(r"\s*/\S*", rest)
    if m:
        head, rest = head + m.group(), rest[m.end():]
    return head, rest


def _selected_block():
    try:
        return gdb.selected_frame().block()
    except (gdb.error, RuntimeError):
        return None


class PrintLive(gdb.Command):
    """print [[OPTION]... --] [/FMT] [EXP]: gdb's print, where a local of a
goroutine function that lives in the frame's locals area (an array, an
address-taken local) means its live storage (goc_L->FIELD), not its twin."""

    def __init__(self):
        super().__init__("print", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        head, expr = _split_print_args(arg)
        block = _selected_block()
        if block is not None:
            expr = live_expression(expr, block)
        try:
            gdb.execute("call " + head + expr, from_tty)
        except gdb.error as e:
            raise gdb.GdbError(str(e))   # gdb's own one-line message


class SetVariableLive(gdb.Command):
    """set variable EXP: gdb's, with print's reading of goroutine locals."""

    def __init__(self):
        super().__init__("set variable", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        block = _selected_block()
        try:
            gdb.parse_and_eval(live_expression(arg, block) if block is not None else arg)
        except gdb.error as e:
            raise gdb.GdbError(str(e))


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
            live = live_expression(cond, block)
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

    def __init__(self, frame, field):
        self.frame, self.field = frame, field

    def to_string(self):
        goc_l = gdb.lookup_symbol("goc_L", self.frame.block())[0].value(self.frame)
        return goc_l.dereference()[self.field]


def _live_local_lookup(val):
    field = _twin_field(val.type)
    if field is None:
        return None
    frame = _frame_of_twin(val)
    return LiveLocalPrinter(frame, field) if frame is not None else None


InfoGoroutines()
GoroutineCmd()
PrintLive()
SetVariableLive()
gdb.events.breakpoint_created.connect(_live_condition)
gdb.events.breakpoint_modified.connect(_live_condition)
gdb.pretty_printers.append(_live_local_lookup)
