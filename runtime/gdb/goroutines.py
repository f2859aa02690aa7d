# goroutines.py — info goroutines and goroutine N bt.
#
#   info goroutines        every live goroutine: id, state, wait reason and
#                          its innermost .goc location (* marks the one this
#                          thread runs)
#   goroutine N bt         goroutine N's chain of .goc frames, innermost first
#
# They read the runtime's own records (goc__sched.allgs, the slabs of Gs; each G's frame chain
# with its function record, .goc file and line), so they work on a live process and on a
# core file alike; the wait reason's words come from the runtime's table of
# them (read as data, not by a call), else from the enumerator's name.
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
        # the runtime's table (proc.c), read as data: no call into the process
        return gdb.parse_and_eval("goc__wait_reasons[%d]" % int(r)).string()
    except gdb.error:
        try:
            return str(gdb.parse_and_eval("(goc_wait_reason)%d" % int(r)))
        except gdb.error:
            return str(int(r))


def _goroutines():
    # every G is in one of the slabs it was carved from (proc.c's galloc)
    # (Gs of one slab are `stride` bytes apart: a G and its first chunk;
    # the k-th carved is at proc.h's goc__gslab_slot(k): 1 3 0 2 in fours)
    gptr = gdb.lookup_type("goc_g").pointer()
    slab = gdb.parse_and_eval("goc__sched.allgs")
    while int(slab) != 0:
        mem = int(slab["mem"].address)
        for i in range(int(slab["n"])):
            g = gdb.Value(mem + ((i & ~3) | (2, 0, 3, 1)[i & 3]) * int(slab["stride"])).cast(gptr)
            if int(g["h"]["status"]) not in (0, 5):
                yield g
        slab = slab["next"]


def _frames(g):
    fr = g["h"]["top"]
    while int(fr) != 0:
        yield fr
        fr = fr["parent"]


def _where(fr):
    info = fr["fn"]   # the function's static record; NULL or nameless: none
    if int(info) == 0 or int(info["func"]) == 0:
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
            st = _STATES.get(int(g["h"]["status"]), "?")
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


InfoGoroutines()
GoroutineCmd()
