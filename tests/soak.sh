#!/usr/bin/env bash
# soak.sh [SECONDS [MAX_MB]] — the churn soak (tests/soak/churn.goc):
# SECONDS (default 60) of goroutines spawned and exiting, channels made,
# closed and freed, selects timing out on goc_after, timers started,
# stopped and reset, tickers. Prints the RSS curve (every 5 s for runs of
# 30 s or more, else every 0.5 s) and fails if RSS grew by more than MAX_MB
# (default 10) over its first sample after 1 s, or if 200,000 selects with
# `case <-goc_after(d):` (an unnamed channel) leave 2 MB behind (see
# churn.goc). CTest runs it for 5 s (soak.churn_5s).
set -euo pipefail
seconds=${1:-60}
max_mb=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
goc=${GOC:-$here/../build/transform/goc}
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-soak-XXXXXX")
trap 'rm -rf "$work"' EXIT
"$goc" cc -O2 -g -Wall -Wextra "$here/soak/churn.goc" -o "$work/churn"
timeout -s KILL $((${seconds%.*} + 60)) "$work/churn" "$seconds" "$max_mb"
