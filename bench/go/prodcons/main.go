// prodcons: ported from runtime/chan_test.go benchmarkChanProdCons
// (BenchmarkChanProdCons0/10/100, BenchmarkChanProdConsWork0/10/100).
// Argument: messages in all (sent in chunks of 1000).
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

const callsPerSched = 1000

// workSeed starts each goroutine's foo. It comes from len(os.Args), which
// the compiler cannot know: started from the constant 0, foo stayed 0
// through foo*2/2, Go's compiler proved `foo == 42` false and deleted the
// work loop (the _work rows then timed empty loops). goc's twin does the
// same with argc.
var workSeed int

func run(n, chanSize, localWork int) {
	procs := runtime.GOMAXPROCS(-1)
	N := int32(n / callsPerSched)
	var received int64
	c := make(chan bool, 2*procs)
	myc := make(chan int, chanSize)
	t0 := time.Now()
	for p := 0; p < procs; p++ {
		go func() {
			foo := workSeed
			for atomic.AddInt32(&N, -1) >= 0 {
				for g := 0; g < callsPerSched; g++ {
					for i := 0; i < localWork; i++ {
						foo *= 2
						foo /= 2
					}
					myc <- 1
				}
			}
			myc <- 0
			c <- foo == 42
		}()
		go func() {
			foo := workSeed
			got := int64(0)
			for {
				v := <-myc
				if v == 0 {
					break
				}
				got++
				for i := 0; i < localWork; i++ {
					foo *= 2
					foo /= 2
				}
			}
			atomic.AddInt64(&received, got)
			c <- foo == 42
		}()
	}
	for p := 0; p < procs; p++ {
		<-c
		<-c
	}
	el := time.Since(t0)
	w := ""
	if localWork != 0 {
		w = "_work"
	}
	fmt.Printf("bench=prodcons%s_c%d time_ns=%d result=%d\n", w, chanSize, el.Nanoseconds(), atomic.LoadInt64(&received))
}

func main() {
	workSeed = len(os.Args)
	n := 500000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	run(n, 0, 0)
	run(n, 10, 0)
	run(n, 100, 0)
	run(n/5, 0, 100)
	run(n/5, 10, 100)
	run(n/5, 100, 100)
}
