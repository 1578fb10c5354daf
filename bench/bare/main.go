// Command bare is the yardstick of the load runs: a plain net/http handler
// that writes fixed bytes (Byline's own answer, captured once), so Byline's
// throughput reads as a share of what this machine's HTTP stack can do.
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "listen address")
	file := flag.String("body", "", "file whose bytes every response carries")
	encoding := flag.String("encoding", "", "Content-Encoding of those bytes (gzip when Byline's answer was)")
	prod := flag.Bool("prod", false, "run as Byline's server does: its timeouts, and the request body read")
	flag.Parse()
	body, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: *addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if *prod {
			_, _ = io.Copy(io.Discard, r.Body)
		}
		w.Header().Set("Content-Type", "application/json")
		if *encoding != "" {
			w.Header().Set("Content-Encoding", *encoding)
		}
		_, _ = w.Write(body)
	})}
	if *prod { // server.Serve's settings
		srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout = 5*time.Second, 15*time.Second, 30*time.Second, 120*time.Second
	}
	log.Fatal(srv.ListenAndServe())
}
