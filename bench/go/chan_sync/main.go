// chan_sync: ported from runtime/chan_test.go BenchmarkChanSync and
// runtime/proc_test.go BenchmarkPingPongHog (without its GOMAXPROCS(1):
// the runner sets GOMAXPROCS). Argument: number of operations.
package main

import (
	"bench/internal/profenv"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

const callsPerSched = 1000

func main() {
	n := 1000000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	profenv.FromEnv() // bench/cost.sh: GOBENCH_PROFILE=RATE[:FRACTION]
	procs := 2
	N := int32(n / callsPerSched / procs * procs)
	nchunks := N
	c := make(chan bool, procs)
	myc := make(chan int)
	t0 := time.Now()
	for p := 0; p < procs; p++ {
		go func() {
			for {
				i := atomic.AddInt32(&N, -1)
				if i < 0 {
					break
				}
				for g := 0; g < callsPerSched; g++ {
					if i%2 == 0 {
						<-myc
						myc <- 0
					} else {
						myc <- 0
						<-myc
					}
				}
			}
			c <- true
		}()
	}
	for p := 0; p < procs; p++ {
		<-c
	}
	fmt.Printf("bench=chan_sync time_ns=%d result=%d\n", time.Since(t0).Nanoseconds(), int(nchunks)*callsPerSched)

	m := n / 4
	stop, done := make(chan bool), make(chan bool)
	go func() {
		for {
			select {
			case <-stop:
				done <- true
				return
			default:
			}
		}
	}()
	ping, pong := make(chan bool), make(chan bool)
	go func() {
		for j := 0; j < m; j++ {
			pong <- <-ping
		}
		close(stop)
		done <- true
	}()
	go func() {
		for i := 0; i < m; i++ {
			ping <- <-pong
		}
		done <- true
	}()
	t0 = time.Now()
	ping <- true
	<-stop
	el := time.Since(t0)
	<-ping
	<-done
	<-done
	<-done
	fmt.Printf("bench=pingpong_hog time_ns=%d result=%d\n", el.Nanoseconds(), m)
}
