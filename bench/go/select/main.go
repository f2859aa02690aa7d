// select: ported from runtime/chan_test.go BenchmarkSelectUncontended,
// BenchmarkSelectAsyncContended, BenchmarkSelectNonblock and
// BenchmarkChanPopular; b.RunParallel is replaced by GOMAXPROCS goroutines
// each doing its share. Argument: iterations in all for the first three;
// ChanPopular does argument/2000 rounds of 1000 sends.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

func parallel(procs int, body func()) time.Duration {
	done := make(chan bool, procs)
	t0 := time.Now()
	for p := 0; p < procs; p++ {
		go func() {
			body()
			done <- true
		}()
	}
	for p := 0; p < procs; p++ {
		<-done
	}
	return time.Since(t0)
}

func main() {
	n := 1000000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	procs := runtime.GOMAXPROCS(0)
	per := n / procs

	el := parallel(procs, func() {
		myc1 := make(chan int, 1)
		myc2 := make(chan int, 1)
		myc1 <- 0
		for k := 0; k < per; k++ {
			select {
			case <-myc1:
				myc2 <- 0
			case <-myc2:
				myc1 <- 0
			}
		}
	})
	fmt.Printf("bench=select_uncontended time_ns=%d result=%d\n", el.Nanoseconds(), per*procs)

	a := make(chan int, procs)
	b := make(chan int, procs)
	el = parallel(procs, func() {
		a <- 0
		for k := 0; k < per; k++ {
			select {
			case <-a:
				b <- 0
			case <-b:
				a <- 0
			}
		}
	})
	fmt.Printf("bench=select_contended time_ns=%d result=%d\n", el.Nanoseconds(), per*procs)

	myc1 := make(chan int)
	myc2 := make(chan int)
	myc3 := make(chan int, 1)
	myc4 := make(chan int, 1)
	el = parallel(procs, func() {
		for k := 0; k < per; k++ {
			select {
			case <-myc1:
			default:
			}
			select {
			case myc2 <- 0:
			default:
			}
			select {
			case <-myc3:
			default:
			}
			select {
			case myc4 <- 0:
			default:
			}
		}
	})
	fmt.Printf("bench=select_nonblock time_ns=%d result=%d\n", el.Nanoseconds(), per*procs)

	const waiters = 1000
	rounds := n / 2000
	if rounds < 1 {
		rounds = 1
	}
	c := make(chan bool)
	var ds []chan bool
	var wg sync.WaitGroup
	t0 := time.Now()
	wg.Add(waiters)
	for j := 0; j < waiters; j++ {
		d := make(chan bool)
		ds = append(ds, d)
		go func() {
			for i := 0; i < rounds; i++ {
				select {
				case <-c:
				case <-d:
				}
			}
			wg.Done()
		}()
	}
	for i := 0; i < rounds; i++ {
		for _, d := range ds {
			d <- true
		}
	}
	wg.Wait()
	fmt.Printf("bench=chan_popular time_ns=%d result=%d\n", time.Since(t0).Nanoseconds(), rounds*waiters)
}
