// The Go twin of examples/mixed_load.goc: net/http on the first address
// (GET / and GET /stats), a ticker goroutine counting every 10 ms, and push
// connections on the second, each sent "push SEQ SENT\n" every 100 ms by
// its own goroutine, SENT being runtime.nanotime() (CLOCK_MONOTONIC ns, as
// goc_now()) just before the write.
//
//	mixed_load [http-address [push-address]]   defaults 127.0.0.1:8080, :8081
package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"
	_ "unsafe" // go:linkname
)

//go:linkname nanotime runtime.nanotime
func nanotime() int64

var ticks, clients, pushed atomic.Int64

func ticker() {
	for range time.NewTicker(10 * time.Millisecond).C {
		ticks.Add(1)
	}
}

func respond(w http.ResponseWriter, code int, body string) {
	h := w.Header()
	h["Date"] = nil
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Content-Type", "text/plain")
	w.WriteHeader(code)
	io.WriteString(w, body)
}

func handle(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method != "GET":
		respond(w, 404, "not found\n")
	case r.URL.Path == "/":
		respond(w, 200, "hello from goc\n")
	case r.URL.Path == "/stats":
		respond(w, 200, fmt.Sprintf("ticks=%d clients=%d pushed=%d\n", ticks.Load(), clients.Load(), pushed.Load()))
	default:
		respond(w, 404, "not found\n")
	}
}

func push(c net.Conn) {
	clients.Add(1)
	t := time.NewTicker(100 * time.Millisecond)
	msg := make([]byte, 0, 64)
	for seq := 0; ; seq++ {
		<-t.C
		msg = fmt.Appendf(msg[:0], "push %d %d\n", seq, nanotime())
		if _, err := c.Write(msg); err != nil {
			break
		}
		pushed.Add(1)
	}
	t.Stop()
	c.Close()
	clients.Add(-1)
}

func main() {
	haddr, paddr := "127.0.0.1:8080", "127.0.0.1:8081"
	if len(os.Args) > 1 {
		haddr = os.Args[1]
	}
	if len(os.Args) > 2 {
		paddr = os.Args[2]
	}
	h, err := net.Listen("tcp", haddr)
	if err != nil {
		log.Fatal(err)
	}
	p, err := net.Listen("tcp", paddr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http on %s\npush on %s\n", h.Addr(), p.Addr())
	go ticker()
	go func() {
		for {
			c, err := p.Accept()
			if err != nil {
				log.Print(err)
				time.Sleep(10 * time.Millisecond)
				continue
			}
			go push(c)
		}
	}()
	srv := &http.Server{Handler: http.HandlerFunc(handle),
		ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 30 * time.Second}
	log.Fatal(srv.Serve(h))
}
