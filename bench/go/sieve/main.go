// sieve: Go's test/chan/sieve1.go, run until the N-th prime.
// Argument: N. Result: the N-th prime.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func Generate(ch chan<- int) {
	for i := 2; ; i++ {
		ch <- i
	}
}

func Filter(in <-chan int, out chan<- int, prime int) {
	for {
		i := <-in
		if i%prime != 0 {
			out <- i
		}
	}
}

func main() {
	n := 2000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	t0 := time.Now()
	ch := make(chan int)
	go Generate(ch)
	prime := 0
	for k := 0; k < n; k++ {
		prime = <-ch
		ch1 := make(chan int)
		go Filter(ch, ch1, prime)
		ch = ch1
	}
	fmt.Printf("bench=sieve time_ns=%d result=%d\n", time.Since(t0).Nanoseconds(), prime)
}
