// timer_lateness: how late a 1 ms time.Ticker is seen by the goroutine
// reading it while every P runs a CPU hog (a loop Go can only preempt
// asynchronously). Lateness of a tick = time it was received - the time it
// was due (t0 + k ms, k the first tick due after the previous receive: the
// ticker's channel holds one tick and drops the rest).
// Argument: ticks to receive. Result: ticks received.
package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
)

const period = time.Millisecond

var stop atomic.Int32
var sink int

func main() {
	n := 300
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	procs := runtime.GOMAXPROCS(0)
	done := make(chan bool, procs)
	for p := 0; p < procs; p++ {
		go func() {
			x := 0
			for stop.Load() == 0 {
				x++
			}
			sink = x
			done <- true
		}()
	}
	time.Sleep(5 * time.Millisecond)

	late := make([]int64, n)
	t0 := time.Now()
	tk := time.NewTicker(period)
	prev, k := t0, int64(0)
	for i := 0; i < n; i++ {
		<-tk.C
		now := time.Now()
		first := int64(prev.Sub(t0)/period) + 1
		k = max(first, k+1)
		late[i] = max(0, now.Sub(t0.Add(time.Duration(k)*period)).Nanoseconds())
		prev = now
	}
	total := time.Since(t0)
	tk.Stop()
	stop.Store(1)
	for p := 0; p < procs; p++ {
		<-done
	}
	slices.Sort(late)
	fmt.Printf("bench=timer_lateness time_ns=%d result=%d p50_ns=%d p99_ns=%d max_ns=%d\n",
		total.Nanoseconds(), n, late[n/2], late[n*99/100], late[n-1])
}
