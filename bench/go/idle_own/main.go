// idle_own: N goroutines, each blocked receiving from a channel of its own
// (idle_1m's goroutines share one). Reports the time to start them all
// (until every one is blocked), the memory they hold with their channels
// (growth of peak RSS / N) and the time to release them all (main closes
// each channel). Main's table of the N channels is allocated and written
// before the first RSS reading, so it is not counted. Argument: N.
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

func maxrssKB() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss
}

func main() {
	n := 1000000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	own := make([]chan int, n)
	placeholder := make(chan int)
	for i := range own {
		own[i] = placeholder // touch every page
	}
	var ready, done sync.WaitGroup
	before := maxrssKB()
	t0 := time.Now()
	ready.Add(n)
	done.Add(n)
	for i := range own {
		own[i] = make(chan int)
		go func(c chan int) {
			ready.Done()
			<-c
			done.Done()
		}(own[i])
	}
	ready.Wait()
	t1 := time.Now()
	after := maxrssKB()
	for _, c := range own {
		close(c)
	}
	done.Wait()
	t2 := time.Now()
	fmt.Printf("bench=idle_own time_ns=%d result=%d bytes_per_g=%d release_ns=%d\n",
		t1.Sub(t0).Nanoseconds(), n, (after-before)*1024/int64(n), t2.Sub(t1).Nanoseconds())
}
