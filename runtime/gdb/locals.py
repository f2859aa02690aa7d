# locals.py — info locals, bt full and MI's stack lists: in a goroutine
# function, the locals the user wrote.
import re

import gdb


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


InfoLocalsLive()
if UserLocalsFilter is not None:
    UserLocalsFilter()
