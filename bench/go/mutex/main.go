// mutex: ported from sync/mutex_test.go BenchmarkMutex; b.RunParallel is
// replaced by GOMAXPROCS goroutines each doing its share of the iterations.
// Argument: iterations in all. GOBENCH_PROFILE=RATE[:FRACTION]: block and
// mutex profiling on (bench/cost.sh).
package main

import (
	"bench/internal/profenv"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

func main() {
	n := 2000000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	profenv.FromEnv() // bench/cost.sh: GOBENCH_PROFILE=RATE[:FRACTION]
	procs := runtime.GOMAXPROCS(0)
	per := n / procs
	var mu sync.Mutex
	counter := 0
	done := make(chan bool, procs)
	t0 := time.Now()
	for p := 0; p < procs; p++ {
		go func() {
			for i := 0; i < per; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
			done <- true
		}()
	}
	for p := 0; p < procs; p++ {
		<-done
	}
	t1 := time.Now()
	fmt.Printf("bench=mutex time_ns=%d result=%d\n", t1.Sub(t0).Nanoseconds(), counter)
}
