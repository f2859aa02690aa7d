// Package profenv is bench/cost.sh's switch, shared by the Go twins it
// measures: GOBENCH_PROFILE=RATE[:FRACTION] turns the block and mutex
// profiles on, as the goc benchmarks do (bench/goc/profile_env.h).
package profenv

import (
	"os"
	"runtime"
	"strconv"
	"strings"
)

func FromEnv() {
	p := os.Getenv("GOBENCH_PROFILE")
	if p == "" {
		return
	}
	r, f, _ := strings.Cut(p, ":")
	rate, _ := strconv.Atoi(r)
	frac := rate
	if f != "" {
		frac, _ = strconv.Atoi(f)
	}
	runtime.SetBlockProfileRate(rate)
	runtime.SetMutexProfileFraction(frac)
}
