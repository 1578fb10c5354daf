// Command bare is the yardstick of the load runs: a plain net/http handler
// that writes fixed bytes (Byline's own answer, captured once), so Byline's
// throughput reads as a share of what this machine's HTTP stack can do.
package main

import (
	"flag"
	"log"
	"net/http"
	"os"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "listen address")
	file := flag.String("body", "", "file whose bytes every response carries")
	encoding := flag.String("encoding", "", "Content-Encoding of those bytes (gzip when Byline's answer was)")
	flag.Parse()
	body, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if *encoding != "" {
			w.Header().Set("Content-Encoding", *encoding)
		}
		_, _ = w.Write(body)
	})))
}
