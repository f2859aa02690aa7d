# goc-gdb.py — gdb commands for goc programs (loaded from the program's
# .debug_gdb_scripts section, or by hand: `source <prefix>/share/goc/goc-gdb.py`).
#
#   info goroutines        every live goroutine: id, state, wait reason and
#                          its innermost .goc location (* marks the one this
#                          thread runs)
#   goroutine N bt         goroutine N's chain of .goc frames, innermost first
#   print, call, output,   as gdb's, with the live value of every local of a
#   x, display, watch,     goroutine function (see "Locals" below); so are
#   whatis, set variable   breakpoint conditions
#   info locals, bt full   the locals the user wrote, by their own names
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
# twin that says where the value is. C has no references and gdb lets
# Python neither hook its symbol lookup nor call a built-in command it has
# replaced, so the commands that take an expression are replaced by ones
# that rewrite each name resolving to a twin into (goc_L->FIELD) (and one
# resolving to a register local renamed name__N into that name), then
# evaluate and print as gdb does: print, call, output, x, display, watch
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
# is mostly <optimized out>), the frame's own record of it, which the
# runtime keeps for the frame's whole life.
_AREA_BASES = ("goc_L", "((struct goc_locals *)goc_fr->goc_hdr.locals)", "((struct goc_locals *)goc_frp->locals)",
               "((struct goc_locals *)goc_frp@entry->locals)")


def _selected_area_base():
    for base in _AREA_BASES:
        try:
            if int(gdb.parse_and_eval(base)) != 0:
                return base
        except gdb.error:
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
            fr = gdb.lookup_symbol("goc_fr", block)[0]
            area = fr.value(frame)["goc_hdr"]["locals"].cast(goc_l.type)
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
# set for the one command and restored after it.
_PRINT_OPTIONS = ("address", "array", "array-indexes", "elements", "max-depth", "memory-tag-violations",
                  "null-stop", "object", "pretty", "raw-values", "repeats", "static-members", "symbol",
                  "union", "vtbl")
_NUMERIC_OPTIONS = ("elements", "max-depth", "repeats")
_BOOL_WORDS = ("on", "off", "1", "0", "yes", "no", "enable", "disable")


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


def _print_head(head):
    """([(setting, value)], format letters) of print's options and /FMT."""
    opts, fmt, toks, i = [], "", head.split(), 0
    while i < len(toks):
        t, i = toks[i], i + 1
        if t == "--":
            continue
        if t.startswith("/"):
            fmt = t[1:]
            continue
        names = [o for o in _PRINT_OPTIONS if o == t[1:]] or [o for o in _PRINT_OPTIONS if o.startswith(t[1:])]
        if len(names) != 1:
            raise gdb.GdbError("Unrecognized option at: %s" % " ".join(toks[i - 1:]))
        if names[0] in _NUMERIC_OPTIONS:
            if i == len(toks) or toks[i] == "--":
                raise gdb.GdbError("-%s requires an argument" % names[0])
            opts.append((names[0], toks[i]))
            i += 1
        elif i < len(toks) and toks[i] in _BOOL_WORDS:
            opts.append((names[0], toks[i]))
            i += 1
        else:
            opts.append((names[0], "on"))
    return opts, fmt


def _setting_text(v):
    return "unlimited" if v is None else ("on" if v else "off") if isinstance(v, bool) else str(v)


def _with_print_settings(opts, fn):
    saved = []
    try:
        for name, val in opts:
            old = gdb.parameter("print " + name)
            gdb.execute("set print %s %s" % (name, val), to_string=True)
            saved.append((name, old))
        return fn()
    finally:
        for name, old in reversed(saved):
            gdb.execute("set print %s %s" % (name, _setting_text(old)), to_string=True)


def _value_text(v, fmt):
    """v as print shows it after `$N = `: gdb's value printing, and, as
    gdb's top level does, `(TYPE) ` before a pointer (not a char pointer)."""
    letter = fmt.replace("r", "")
    kw = {"raw": "r" in fmt}
    if letter:
        kw["format"] = letter
    text = v.format_string(**kw)
    t = v.type
    if not letter and t.strip_typedefs().code in (gdb.TYPE_CODE_PTR, gdb.TYPE_CODE_REF, gdb.TYPE_CODE_RVALUE_REF):
        if not (t.code == gdb.TYPE_CODE_PTR and t.name is None and t.target().name == "char"):
            text = "(%s) %s" % (_user_type(t), text)
    return text


def _evaluate(expr):
    try:
        v = gdb.parse_and_eval(_live(expr) if expr.strip() else "$")
        v.fetch_lazy()
        return v
    except gdb.error as e:
        raise gdb.GdbError(str(e))   # gdb's own one-line message


def _print(arg, void_too):
    head, expr = _split_print_args(arg)
    opts, fmt = _print_head(head)

    def show():
        v = _evaluate(expr)
        if v.type.code == gdb.TYPE_CODE_VOID and not void_too:
            return
        text = "void" if v.type.code == gdb.TYPE_CODE_VOID else _value_text(v, fmt)
        print("$%d = %s" % (gdb.add_history(v), text))
    try:
        _with_print_settings(opts, show)
    except gdb.error as e:
        raise gdb.GdbError(str(e))


class PrintLive(gdb.Command):
    """print [[OPTION]... --] [/FMT] [EXP]: gdb's print, where a local of a
goroutine function that lives in the frame's locals area (an array, an
address-taken local) means its live storage (goc_L->FIELD), not its twin."""

    def __init__(self):
        super().__init__("print", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        _print(arg, True)


class CallLive(gdb.Command):
    """call [[OPTION]... --] [/FMT] EXP: as print, but a void result prints nothing."""

    def __init__(self):
        super().__init__("call", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        _print(arg, False)


class OutputLive(gdb.Command):
    """output [/FMT] EXP: the value of EXP, as print shows it, with no newline
and no history entry; goroutine locals read live (see print)."""

    def __init__(self):
        super().__init__("output", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        head, expr = _split_print_args(arg)
        fmt = _print_head(head)[1]
        v = _evaluate(expr)
        gdb.write("void" if v.type.code == gdb.TYPE_CODE_VOID else _value_text(v, fmt))


class SetVariableLive(gdb.Command):
    """set variable EXP: gdb's, with print's reading of goroutine locals."""

    def __init__(self):
        super().__init__("set variable", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        _evaluate(arg)


_CONVERSION = re.compile(r"%(%|([-+ #0]*[0-9]*(?:\.[0-9]+)?)(hh|h|ll|l|L|z|j|t)?([diouxXcsfFeEgGaAp]))")
_ESCAPE = re.compile(r"""\\([0-7]{1,3}|.)""", re.S)
_ESCAPES = {"n": "\n", "t": "\t", "a": "\a", "b": "\b", "f": "\f", "r": "\r", "v": "\v", "e": "\x1b"}


def _split_args(text):
    """The comma-separated expressions of text (a comma inside brackets or
    quotes does not split)."""
    out, depth, start = [], 0, 0
    for m in re.finditer(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|[()\[\]{},]", text):
        c = m.group()
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            out.append(text[start:m.start()])
            start = m.end()
    out.append(text[start:])
    return [a for a in (x.strip() for x in out) if a] if text.strip() else []


def _printf_text(fmt, values):
    """fmt with its conversions filled from values, as gdb's printf does."""
    values, out, pos = list(values), [], 0
    for m in _CONVERSION.finditer(fmt):
        out.append(fmt[pos:m.start()])
        pos = m.end()
        if m.group(1) == "%":
            out.append("%")
            continue
        if not values:
            raise gdb.GdbError("Wrong number of arguments for specified format-string.")
        flags, length, conv, v = m.group(2), m.group(3) or "", m.group(4), values.pop(0)
        if conv in "di":
            out.append(("%" + flags + "d") % int(v))
        elif conv in "ouxX":
            bits = {"hh": 8, "h": 16, "": 32}.get(length, 64)
            out.append(("%" + flags + conv) % (int(v) & ((1 << bits) - 1)))
        elif conv == "c":
            out.append(("%" + flags + "c") % chr(int(v) & 0xff))
        elif conv == "s":
            out.append(("%" + flags + "s") % v.string(encoding="latin-1"))
        elif conv == "p":
            out.append(("%" + flags + "s") % ("0x%x" % int(v)))
        elif conv in "aA":
            out.append(("%" + flags + "s") % float(v).hex())
        else:
            out.append(("%" + flags + conv) % float(v))
    if values:
        raise gdb.GdbError("Wrong number of arguments for specified format-string.")
    out.append(fmt[pos:])
    return "".join(out)


class PrintfLive(gdb.Command):
    """printf "FORMAT", ARG...: gdb's printf (and so dprintf's default
style); a goroutine local in an ARG reads live (see print)."""

    def __init__(self):
        super().__init__("printf", gdb.COMMAND_SUPPORT, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        m = re.match(r'\s*"((?:\\.|[^"\\])*)"\s*(?:,(.*))?$', arg, re.S)
        if not m:
            raise gdb.GdbError("Bad format string")
        fmt = _ESCAPE.sub(lambda e: chr(int(e.group(1), 8)) if e.group(1)[0] in "01234567"
                          else _ESCAPES.get(e.group(1), e.group(1)), m.group(1))
        values = [_evaluate(a) for a in _split_args(m.group(2) or "")]
        try:
            gdb.write(_printf_text(fmt, values))
        except gdb.error as e:
            raise gdb.GdbError(str(e))


class WhatisLive(gdb.Command):
    """whatis EXP|TYPE: the type of EXP as the user wrote it (a goroutine
local's, not the lowering's typedefs), or TYPE unrolled one level."""

    def __init__(self):
        super().__init__("whatis", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        try:
            t = _evaluate(arg).type
        except gdb.GdbError as e:
            try:   # a type's name
                t = gdb.parse_and_eval("(%s *)0" % arg).type.target()
            except gdb.error:
                raise e
            if t.code == gdb.TYPE_CODE_TYPEDEF:
                t = t.target()
        print("type = %s" % _user_type(t))


class WatchLive(gdb.Command):
    """watch [-l|-location] EXP [thread N] [mask M]: gdb's watch, where an
expression reading a goroutine local of the locals area is watched at its
live location (as -location does: the frame's C code returns at every
suspension, so a watch on the expression would end there)."""

    def __init__(self, name, kind):
        super().__init__(name, gdb.COMMAND_BREAKPOINTS, gdb.COMPLETE_EXPRESSION)
        self.kind = kind

    def invoke(self, arg, from_tty):
        m = re.match(r"\s*(?:-l|-location)\s+", arg)
        rest = arg[m.end():] if m else arg
        tail = re.search(r"\s(?:thread|mask|task)\s+\S+.*$", rest)
        expr, suffix = (rest[:tail.start()], rest[tail.start():]) if tail else (rest, "")
        live = _live(expr)
        spec = live
        if m or live != expr:
            v = _evaluate(expr)
            if v.address is not None:
                spec = "*(%s) %#x" % (_user_type(v.type).pointer(), int(v.address))
        try:
            gdb.Breakpoint(spec + suffix, gdb.BP_WATCHPOINT, self.kind)
        except (gdb.error, RuntimeError) as e:
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


# ---- the locals the user wrote ---------------------------------------------
# A step function's C locals are the user's (under their names; a renamed
# register local is shown as name, a twin as its live field) and the
# lowering's own (goc_L, goc_fr, temporaries goc_tN, the resume table, ...),
# all named goc_*: info locals, bt full and MI's stack lists hide those.
_RENAMED = re.compile(r"__p?[0-9]+$")


def _is_step(frame):
    try:
        b = frame.block()
    except RuntimeError:
        return False
    while b is not None and b.function is None:
        b = b.superblock
    return b is not None and any(s.name == "goc_L" for s in b)


def user_locals(frame):
    """[(name, value)] of frame's locals in scope, innermost block first, as
    info locals lists them; in a step function, those the user wrote."""
    try:
        b = frame.block()
    except RuntimeError:
        raise gdb.GdbError("No symbol table info available.")
    step, area, out = _is_step(frame), None, []
    while b is not None and not b.is_static and not b.is_global:
        for sym in b:
            if not sym.is_variable or sym.is_argument:
                continue
            name, field = sym.name, _twin_field(sym.type)
            if step and name.startswith("goc_"):
                continue
            if step and field:
                area = area if area is not None else _locals_area(frame)
                out.append((name, area[field] if area is not None else sym.value(frame)))
                continue
            out.append((_RENAMED.sub("", name) if step else name, sym.value(frame)))
        if b.function is not None:
            break
        b = b.superblock
    return out


class InfoLocalsLive(gdb.Command):
    """info locals [-q] [-t TYPEREGEXP] [NAMEREGEXP]: the selected frame's
locals; in a goroutine function, those the user wrote, with live values."""

    def __init__(self):
        super().__init__("info locals", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        m = re.match(r"\s*((?:-q\s*)?)(?:-t\s+(\S+)\s*)?((?:-q\s*)?)(.*)$", arg)
        quiet, type_re, name_re = bool(m.group(1) or m.group(3)), m.group(2), m.group(4).strip()
        try:
            frame = gdb.selected_frame()
        except gdb.error as e:
            raise gdb.GdbError(str(e))
        shown = 0
        for name, v in user_locals(frame):
            if name_re and not re.search(name_re, name):
                continue
            if type_re and not re.search(type_re, str(_user_type(v.type))):
                continue
            try:
                text = v.format_string()
            except gdb.error as e:
                text = "<error reading variable %s (%s)>" % (name, e)
            print("%s = %s" % (name, text))
            shown += 1
        if not shown and not quiet:
            print("No matching locals." if name_re or type_re else "No locals.")


class _Local:
    def __init__(self, name, value):
        self.name, self.val = name, value

    def symbol(self):
        return self.name

    def value(self):
        return self.val


try:
    from gdb.FrameDecorator import FrameDecorator

    class _UserLocals(FrameDecorator):
        def frame_locals(self):
            return [_Local(n, v) for n, v in user_locals(self.inferior_frame())]

    class UserLocalsFilter:
        """bt full and MI's -stack-list-locals/-variables (with
        -enable-frame-filters): a goroutine function's own locals."""

        def __init__(self):
            self.name, self.priority, self.enabled = "goc-locals", 100, True
            gdb.frame_filters[self.name] = self

        def filter(self, frames):
            return (_UserLocals(f) if _is_step(f.inferior_frame()) else f for f in frames)
except ImportError:   # gdb without frame filters: bt full shows every C local
    UserLocalsFilter = None


# ---- x and display ----------------------------------------------------------
# Both take an expression, so both are replaced (see "Locals"); x prints as
# gdb's does (NFU, items per line, $_ and $__, `x` alone going on), and the
# displays are this script's own list, shown at every stop in the function
# where each was made (or everywhere, when it reads no local), under the
# text the user wrote.
_UNITS = {"b": 1, "h": 2, "w": 4, "g": 8}
_x = {"fmt": "x", "size": "w", "count": 1, "next": None}


def _parse_fmt(letters, last_fmt, last_count=1):
    """(count, format letter, size letter or None) of /NFU."""
    m = re.match(r"(-?[0-9]*)(.*)$", letters)
    count = int(m.group(1)) if m.group(1) not in ("", "-") else last_count
    fmt, size = last_fmt, None
    for ch in m.group(2):
        if ch in _UNITS:
            size = ch
        else:
            fmt = ch
    return count, fmt, size


def _arch():
    try:
        return gdb.selected_frame().architecture()
    except gdb.error:
        return gdb.selected_inferior().architecture()


def _address_of(v):
    t = v.type.strip_typedefs()
    if t.code in (gdb.TYPE_CODE_ARRAY, gdb.TYPE_CODE_FUNC) and v.address is not None:
        return int(v.address)
    return int(v.cast(gdb.lookup_type("unsigned long")))   # a pointer or an integer


def _examine(count, fmt, size, addr):
    """The lines x/COUNT FMT SIZE prints from addr; sets $_, $__ and where
    a bare x goes on."""
    arch = _arch()
    voidp = gdb.lookup_type("void").pointer()
    if size is None:
        size = "b" if fmt in "cs" else "g" if fmt == "a" else _x["size"]
        if fmt == "f" and size not in "wg":
            size = "g"
    lines = []
    if fmt == "i":
        pc = None
        try:
            pc = gdb.selected_frame().pc()
        except gdb.error:
            pass
        for insn in arch.disassemble(addr, count=count):
            where = gdb.Value(insn["addr"]).cast(voidp).format_string(format="a")
            lines.append("%s%s:\t%s" % ("=> " if insn["addr"] == pc else "   ", where, insn["asm"]))
            last, addr = insn["addr"], insn["addr"] + insn["length"]
        _x["fmt"], _x["next"] = fmt, addr
        gdb.set_convenience_variable("_", gdb.Value(last).cast(voidp))
        return lines
    if fmt == "s":
        chp = gdb.lookup_type("char").pointer()
        for _ in range(count):
            s = gdb.Value(addr).cast(chp)
            where = s.cast(voidp).format_string(format="a")
            lines.append("%s:\t%s" % (where, s.format_string().split(" ", 1)[1]))
            last, addr = addr, addr + len(s.string(encoding="latin-1")) + 1
        _x["fmt"], _x["size"], _x["next"] = fmt, size, addr
        gdb.set_convenience_variable("_", gdb.Value(last).cast(voidp))
        return lines
    if fmt not in "xduotacfz":
        raise gdb.GdbError('Undefined output format "%s".' % fmt)
    n = _UNITS[size]
    if fmt == "f":
        unit = gdb.lookup_type({4: "float", 8: "double"}[n]) if n in (4, 8) else arch.integer_type(n * 8, True)
    else:
        unit = arch.integer_type(n * 8, fmt in "dc")
    per_line = 1 if fmt in "si" else {1: 8, 2: 8, 4: 4, 8: 2}[n]
    line, last = None, None
    for i in range(count):
        if i % per_line == 0:
            if line is not None:
                lines.append(line)
            line = gdb.Value(addr).cast(voidp).format_string(format="a") + ":"
        item = gdb.Value(addr).cast(unit.pointer()).dereference()
        if fmt == "t":
            text = bin(int(item) & ((1 << (n * 8)) - 1))[2:].zfill(n * 8)
        elif fmt == "f":
            text = item.format_string()
        else:
            text = item.format_string(format={"x": "z"}.get(fmt, fmt))
        line += "\t" + text
        last, addr = item, addr + n
    if line is not None:
        lines.append(line)
    _x["fmt"], _x["size"], _x["next"] = fmt, size, addr
    if last is not None:
        gdb.set_convenience_variable("_", last.address)
        gdb.set_convenience_variable("__", last)
    return lines


class ExamineLive(gdb.Command):
    """x/NFU ADDRESS: examine memory, as gdb's x; a goroutine local in
ADDRESS reads live (see print)."""

    def __init__(self):
        super().__init__("x", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        m = re.match(r"\s*/(\S*)\s*", arg)
        letters, expr = (m.group(1), arg[m.end():]) if m else ("", arg)
        self.dont_repeat()
        count, fmt, size = _parse_fmt(letters, _x["fmt"], 1 if expr.strip() else _x["count"])
        _x["count"] = count
        if expr.strip():
            addr = _address_of(_evaluate(expr))
        elif _x["next"] is not None:
            addr = _x["next"]
        else:
            raise gdb.GdbError("Argument required (starting display address).")
        try:
            for line in _examine(count, fmt, size, addr):
                print(line)
        except gdb.error as e:
            raise gdb.GdbError(str(e))


# A display means, as gdb's does, the locals its expression named where it
# was made (an outer n stays the outer n under an inner n): its names are
# rewritten then, all but the way to the locals area, which is the frame's
# at each stop.
_AREA_MARK = "goc__area_base"


class _Display:
    def __init__(self, num, fmt, expr, scope, block):
        self.num, self.fmt, self.expr, self.scope, self.enabled = num, fmt, expr, scope, True
        self.bound = live_expression(expr, block, _AREA_MARK)

    def _value(self):
        return _evaluate(self.bound.replace(_AREA_MARK, _selected_area_base()))

    def in_scope(self):
        return self.scope is None or _function_start() == self.scope

    def show(self):
        count, fmt, size = _parse_fmt(self.fmt, "x") if self.fmt else (1, "", None)
        examine = bool(self.fmt) and (fmt in "is" or size is not None)
        if examine:
            print("%d: x/%s %s" % (self.num, self.fmt, self.expr))
            try:
                for line in _examine(count, fmt, size, _address_of(self._value())):
                    print(line)
            except (gdb.error, gdb.GdbError) as e:
                print("<error: %s>" % e)
            return
        try:
            text = _value_text(self._value(), self.fmt)
        except (gdb.error, gdb.GdbError) as e:
            text = "<error: %s>" % e
        print("%d: %s%s = %s" % (self.num, "/%s " % self.fmt if self.fmt else "", self.expr, text))


_displays = []
_display_count = [0]


def _function_start():
    try:
        b = gdb.selected_frame().block()
    except (gdb.error, RuntimeError):
        return None
    while b is not None and b.function is None:
        b = b.superblock
    return b.start if b is not None else None


def _reads_a_local(expr, block):
    """Whether a name in expr means a local of block's function."""
    for m in _TOKEN.finditer(expr):
        if m.lastgroup == "name" and _local_named(m.group(), block) is not None:
            return True
    return False


def _do_displays():
    for d in _displays:
        if d.enabled and d.in_scope():
            d.show()


class DisplayLive(gdb.Command):
    """display[/FMT] EXP: print EXP (as print, or as x for the formats i, s
and a unit size) at every stop; display alone shows them all now. A display
reading a local shows in that local's function only."""

    def __init__(self):
        super().__init__("display", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        self.dont_repeat()
        m = re.match(r"\s*/(\S*)\s*", arg)
        fmt, expr = (m.group(1), arg[m.end():]) if m else ("", arg.strip())
        if not expr.strip():
            _do_displays()
            return
        block = _selected_block()
        scope = _function_start() if block is not None and _reads_a_local(expr, block) else None
        _display_count[0] += 1
        d = _Display(_display_count[0], fmt, expr.strip(), scope, block)
        _displays.append(d)
        if from_tty and gdb.selected_inferior().pid and d.in_scope():   # as gdb's: not from a script
            d.show()


def _display_numbers(arg):
    nums = set()
    for tok in arg.split():
        a, _, b = tok.partition("-")
        try:
            nums.update(range(int(a), int(b or a) + 1))
        except ValueError:
            raise gdb.GdbError("Arguments must be display numbers.")
    return nums


def _each_display(arg, fn):
    nums = _display_numbers(arg)
    for d in list(_displays):
        if not nums or d.num in nums:
            fn(d)


class UndisplayLive(gdb.Command):
    """undisplay [NUM]...: stop showing these displays (all, without NUM)."""

    def __init__(self, name):
        super().__init__(name, gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        _each_display(arg, _displays.remove)


class EnableDisplayLive(gdb.Command):
    """enable|disable display [NUM]...: show these displays again, or not."""

    def __init__(self, name, on):
        super().__init__(name, gdb.COMMAND_DATA)
        self.on = on

    def invoke(self, arg, from_tty):
        _each_display(arg, lambda d: setattr(d, "enabled", self.on))


class InfoDisplayLive(gdb.Command):
    """info display: the expressions shown at every stop."""

    def __init__(self):
        super().__init__("info display", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        if not _displays:
            print("There are no auto-display expressions now.")
            return
        print("Auto-display expressions now in effect:\nNum Enb Expression")
        for d in _displays:
            print("%d:   %s  %s%s%s" % (d.num, "y" if d.enabled else "n", "/%s " % d.fmt if d.fmt else "", d.expr,
                                        "" if d.in_scope() else " (cannot be evaluated in the current context)"))


def _on_stop(event):
    _do_displays()


InfoGoroutines()
GoroutineCmd()
PrintLive()
CallLive()
OutputLive()
SetVariableLive()
WhatisLive()
WatchLive("watch", gdb.WP_WRITE)
WatchLive("rwatch", gdb.WP_READ)
WatchLive("awatch", gdb.WP_ACCESS)
ExamineLive()
PrintfLive()
DisplayLive()
UndisplayLive("undisplay")
UndisplayLive("delete display")
EnableDisplayLive("enable display", True)
EnableDisplayLive("disable display", False)
InfoDisplayLive()
InfoLocalsLive()
if UserLocalsFilter is not None:
    UserLocalsFilter()
gdb.events.breakpoint_created.connect(_live_condition)
gdb.events.breakpoint_modified.connect(_live_condition)
gdb.events.stop.connect(_on_stop)
gdb.pretty_printers.append(_live_local_lookup)
