// idle_1m: N goroutines blocked on a channel receive. Reports the time to
// start them all (until every one is blocked), the memory they hold
// (growth of peak RSS / N) and the time to release them all. Argument: N.
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
	release := make(chan int)
	var ready, done sync.WaitGroup
	before := maxrssKB()
	t0 := time.Now()
	ready.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			ready.Done()
			<-release
			done.Done()
		}()
	}
	ready.Wait()
	t1 := time.Now()
	after := maxrssKB()
	close(release)
	done.Wait()
	t2 := time.Now()
	fmt.Printf("bench=idle_1m time_ns=%d result=%d bytes_per_g=%d release_ns=%d\n",
		t1.Sub(t0).Nanoseconds(), n, (after-before)*1024/int64(n), t2.Sub(t1).Nanoseconds())
}
