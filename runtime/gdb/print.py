# print.py — the commands that evaluate an expression and print its value
# or type (print, call, output, printf, set variable, whatis) and watch,
# replaced so that goroutine locals read live (live.py); each evaluates and
# prints as gdb's own.
import re

import gdb


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


PrintLive()
CallLive()
OutputLive()
SetVariableLive()
PrintfLive()
WhatisLive()
WatchLive("watch", gdb.WP_WRITE)
WatchLive("rwatch", gdb.WP_READ)
WatchLive("awatch", gdb.WP_ACCESS)
