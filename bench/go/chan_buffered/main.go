// chan_buffered: ported from runtime/chan_test.go BenchmarkChanUncontended
// and BenchmarkChanContended; b.RunParallel is replaced by GOMAXPROCS
// goroutines each doing its share of the iterations.
// Argument: iterations in all (each is 100 sends and 100 receives).
package main

import (
	"bench/internal/profenv"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

const C = 100

func main() {
	n := 40000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	profenv.FromEnv() // bench/cost.sh: GOBENCH_PROFILE=RATE[:FRACTION]
	procs := runtime.GOMAXPROCS(0)
	per := n / procs
	done := make(chan bool, procs)

	t0 := time.Now()
	for p := 0; p < procs; p++ {
		go func() {
			myc := make(chan int, C)
			for k := 0; k < per; k++ {
				for i := 0; i < C; i++ {
					myc <- 0
				}
				for i := 0; i < C; i++ {
					<-myc
				}
			}
			done <- true
		}()
	}
	for p := 0; p < procs; p++ {
		<-done
	}
	fmt.Printf("bench=chan_uncontended time_ns=%d result=%d\n", time.Since(t0).Nanoseconds(), per*procs*2*C)

	myc := make(chan int, C*procs)
	t0 = time.Now()
	for p := 0; p < procs; p++ {
		go func() {
			for k := 0; k < per; k++ {
				for i := 0; i < C; i++ {
					myc <- 0
				}
				for i := 0; i < C; i++ {
					<-myc
				}
			}
			done <- true
		}()
	}
	for p := 0; p < procs; p++ {
		<-done
	}
	fmt.Printf("bench=chan_contended time_ns=%d result=%d\n", time.Since(t0).Nanoseconds(), per*procs*2*C)
}
