# examine.py — x and display, replaced so that goroutine locals read live
# (live.py).
import re

import gdb


# ---- x and display ----------------------------------------------------------
# Both take an expression, so both are replaced (live.py); x prints as
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


ExamineLive()
DisplayLive()
UndisplayLive("undisplay")
UndisplayLive("delete display")
EnableDisplayLive("enable display", True)
EnableDisplayLive("disable display", False)
InfoDisplayLive()
if "_stop_connected" not in globals():   # once, when the script is loaded twice (section and source)
    gdb.events.stop.connect(lambda event: _on_stop(event))
    _stop_connected = True
