// spawn: ported from runtime/proc_test.go BenchmarkCreateGoroutines (one
// chain) and BenchmarkCreateGoroutinesSingle. Argument: number of goroutines.
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

func main() {
	n := 1000000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}

	c := make(chan bool)
	var f func(n int)
	f = func(n int) {
		if n == 0 {
			c <- true
			return
		}
		go f(n - 1)
	}
	t0 := time.Now()
	go f(n)
	<-c
	fmt.Printf("bench=spawn_chain time_ns=%d result=%d\n", time.Since(t0).Nanoseconds(), n)

	t0 = time.Now()
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			wg.Done()
		}()
	}
	wg.Wait()
	fmt.Printf("bench=spawn_single time_ns=%d result=%d\n", time.Since(t0).Nanoseconds(), n)
}
