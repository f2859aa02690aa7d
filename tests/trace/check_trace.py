#!/usr/bin/env python3
"""check_trace.py TRACE.json [--events]: checks a GOC_TRACE file.

Always: it is JSON in the trace-event format, every P row's B/E slices
balance (never an E without its B, nothing left open at the end), every
async slice (b/e, matched by cat, id and name) balances the same way, and
the "scheduling latency" summary counts the run slices that carry
latency_ns. With --events (tests/trace/events.goc's trace): the netpoller
waits name the fd and both directions, goc_blocking, syscall and both P
hand-offs appear, and a goroutine resumes on a P after each kind of
hand-off. Prints what failed and exits 1, or prints ok."""
import collections
import json
import re
import sys


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    path = sys.argv[1]
    want_events = "--events" in sys.argv[2:]
    try:
        with open(path) as f:
            evs = json.load(f)["traceEvents"]
    except (OSError, ValueError, KeyError) as e:
        fail("%s is not a trace-event JSON file: %s" % (path, e))
    depth = collections.Counter()
    open_async = collections.Counter()
    kinds = collections.Counter()
    with_latency = 0
    summary = None
    last_ts = 0.0
    for e in evs:
        ph = e.get("ph")
        if ph != "M":
            ts = e.get("ts")
            if not isinstance(ts, (int, float)) or ts < 0:
                fail("event without a time: %r" % e)
            last_ts = max(last_ts, ts)
        name = e.get("name", "")
        args = e.get("args", {})
        if ph == "B":
            depth[e["tid"]] += 1
            if depth[e["tid"]] > 1:
                fail("two run slices open on row %d at %.3f" % (e["tid"], e["ts"]))
            if "latency_ns" in args:
                with_latency += 1
                if args["latency_ns"] < 0:
                    fail("negative latency: %r" % e)
            if "resumed" in args:
                kinds["resumed " + args["resumed"]] += 1
        elif ph == "E":
            depth[e["tid"]] -= 1
            if depth[e["tid"]] < 0:
                fail("an E without a B on row %d at %.3f" % (e["tid"], e["ts"]))
        elif ph in ("b", "e"):
            key = (e.get("cat"), e.get("id"), name)
            if None in key[:2]:
                fail("async event without cat or id: %r" % e)
            open_async[key] += 1 if ph == "b" else -1
            if open_async[key] < 0:
                fail("an async end without its begin: %r" % e)
            if ph == "b":
                kinds[e["cat"]] += 1
                m = re.fullmatch(r"IO wait fd (\d+) (read|write)", name)
                if e["cat"] == "netpoll":
                    if not m:
                        fail("netpoll wait not named by fd and direction: %r" % name)
                    kinds["netpoll " + m.group(2)] += 1
        elif ph == "i":
            if name.startswith("handoff P"):
                kinds["handoff " + args.get("from", "?")] += 1
            if name == "scheduling latency":
                summary = args
    for tid, d in depth.items():
        if d:
            fail("%d run slices left open on row %d" % (d, tid))
    for key, d in open_async.items():
        if d:
            fail("async slice %r left open" % (key,))
    if summary is None:
        fail("no scheduling latency summary")
    if summary["count"] != with_latency:
        fail("the summary counts %d latencies, the run slices carry %d" % (summary["count"], with_latency))
    if sum(summary["below_ns"].values()) != summary["count"]:
        fail("the latency histogram does not add up to its count")
    if with_latency == 0:
        fail("no run slice carries latency_ns")
    if want_events:
        for k in ("netpoll read", "netpoll write", "blocking", "syscall",
                  "handoff syscall", "handoff plain C", "handoff blocked thread",
                  "resumed syscall", "resumed plain C"):
            if not kinds[k]:
                fail("no %s event (have: %s)" % (k, dict(kinds)))
    print("ok")


main()
