// skynet: a tree of N leaf goroutines (fan-out 10), each level summing its
// children's results through a buffered channel. Argument: N.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func skynet(c chan int, num, size, div int) {
	if size == 1 {
		c <- num
		return
	}
	rc := make(chan int, div)
	sub := size / div
	for i := 0; i < div; i++ {
		go skynet(rc, num+i*sub, sub, div)
	}
	sum := 0
	for i := 0; i < div; i++ {
		sum += <-rc
	}
	c <- sum
}

func main() {
	n := 1000000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	c := make(chan int, 1)
	t0 := time.Now()
	go skynet(c, 0, n, 10)
	r := <-c
	fmt.Printf("bench=skynet time_ns=%d result=%d\n", time.Since(t0).Nanoseconds(), r)
	if r != n*(n-1)/2 {
		fmt.Fprintf(os.Stderr, "skynet: wrong sum %d\n", r)
		os.Exit(1)
	}
}
