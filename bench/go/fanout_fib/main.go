// fanout_fib: fork-join Fibonacci — every call above the leaves starts two
// goroutines and joins them through a channel of capacity 2. Argument: n.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func fib(n int, out chan int) {
	if n < 2 {
		out <- n
		return
	}
	c := make(chan int, 2)
	go fib(n-1, c)
	go fib(n-2, c)
	r := <-c
	r += <-c
	out <- r
}

func main() {
	n := 27
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	out := make(chan int, 1)
	t0 := time.Now()
	go fib(n, out)
	r := <-out
	fmt.Printf("bench=fanout_fib time_ns=%d result=%d\n", time.Since(t0).Nanoseconds(), r)
}
