// The net/http twin of examples/http_server.goc: the same answers byte for
// byte to HTTP/1.1 requests (Go's Date header suppressed; the goc server
// writes its headers in the order net/http sorts them), keep-alive, and an
// idle connection closed after 30 s. Differences: bench/NOTES.md.
//
//	http_server [address]      default 127.0.0.1:8080; ":0" picks a port
package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

func respond(w http.ResponseWriter, code int, body string) {
	h := w.Header()
	h["Date"] = nil
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Content-Type", "text/plain")
	w.WriteHeader(code)
	io.WriteString(w, body)
}

func handle(w http.ResponseWriter, r *http.Request) {
	if r.Method == "GET" && r.URL.Path == "/" {
		respond(w, 200, "hello from goc\n")
	} else {
		respond(w, 404, "not found\n")
	}
}

func main() {
	addr := "127.0.0.1:8080"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", l.Addr())
	srv := &http.Server{Handler: http.HandlerFunc(handle),
		ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 30 * time.Second}
	log.Fatal(srv.Serve(l))
}
