// Command hostile measures a running gateway under hostile traffic: the
// normal query's latency while four clients send hostile requests, the
// server CPU each hostile request costs, the live heap after a flood of
// distinct huge documents, and Redis memory after a flood of junk
// persisted queries. bench/hostile.sh starts the gateway and runs it.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bylinehq/byline/internal/hostile"
)

func main() {
	var (
		base     = flag.String("url", "http://127.0.0.1:18090", "the gateway")
		debug    = flag.String("debug", "http://127.0.0.1:18091", "the gateway's --debug-addr (pprof), to force a collection")
		redis    = flag.String("redis", "", "Redis host:port the gateway uses; empty skips the APQ flood")
		slug     = flag.String("slug", "copper-000011", "an article of the corpus")
		dur      = flag.Duration("d", 10*time.Second, "each load phase")
		clients  = flag.Int("c", 4, "normal clients, and as many hostile ones")
		docs     = flag.Int("docs", 1000, "distinct 900 KB documents to send")
		apqFlood = flag.Int("apq", 10000, "junk persisted-query registrations to send")
	)
	flag.Parse()
	normal, _ := json.Marshal(map[string]any{
		"query":     `query ArticlePage($s: String!) { article(slug: $s) { title url breadcrumbs { label url } related(first: 5) { title url } } }`,
		"variables": map[string]string{"s": *slug},
	})
	reqs := hostile.Requests(*slug)

	fmt.Printf("# hostile load, %s, %s each phase, %d normal clients\n", time.Now().UTC().Format(time.RFC3339), *dur, *clients)
	fmt.Println("\n| run | normal req/s | normal p50 | normal p99 | hostile answered | hostile p99 |\n| --- | ---: | ---: | ---: | ---: | ---: |")
	quiet := load(*base, normal, nil, *clients, 0, *dur)
	fmt.Printf("| no hostile traffic | %.0f | %s | %s | | |\n", quiet.rate, quiet.p(50), quiet.p(99))
	loud := load(*base, normal, reqs, *clients, *clients, *dur)
	fmt.Printf("| %d hostile clients | %.0f | %s | %s | %d (%d wrong) | %s |\n", *clients, loud.rate, loud.p(50), loud.p(99), loud.hostile, loud.wrong, loud.hp(99))

	fmt.Println("\n| hostile request | status | code | server CPU |\n| --- | ---: | --- | ---: |")
	for _, r := range reqs {
		before := cpuSeconds(*base)
		const n = 5
		status, code := 0, ""
		for range n {
			status, code = post(*base, r.Body)
		}
		used := (cpuSeconds(*base) - before) / n
		fmt.Printf("| %s | %d | %s | %.1f ms |\n", r.Name, status, code, used*1000)
	}

	for i := range *docs {
		post(*base, hostile.Padded(i, 900<<10))
	}
	if resp, err := http.Get(*debug + "/debug/pprof/heap?gc=1"); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	fmt.Printf("\nlive heap after %d distinct 900 KB documents: %.1f MB (go_memstats_heap_alloc_bytes after a forced collection)\n",
		*docs, metric(*base, "go_memstats_heap_alloc_bytes")/1e6)

	if *redis != "" {
		before := redisMemory(*redis)
		junk := strings.Repeat("not graphql ", 2000)
		for i := range *apqFlood {
			q := strconv.Itoa(i) + junk
			sum := sha256.Sum256([]byte(q))
			body, _ := json.Marshal(map[string]any{"query": q, "extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}})
			post(*base, body)
		}
		fmt.Printf("Redis used_memory after %d junk APQ registrations: %.2f MB (%.2f MB before)\n", *apqFlood, redisMemory(*redis)/1e6, before/1e6)
	}
}

type result struct {
	lat            []time.Duration
	hlat           []time.Duration
	rate           float64
	hostile, wrong int
}

func (r *result) p(q int) string  { return pct(r.lat, q) }
func (r *result) hp(q int) string { return pct(r.hlat, q) }

func pct(l []time.Duration, q int) string {
	if len(l) == 0 {
		return "-"
	}
	slices.Sort(l)
	return l[min(len(l)-1, len(l)*q/100)].Round(10 * time.Microsecond).String()
}

// load runs normal clients (and hostile ones) for d and collects latencies.
func load(base string, normal []byte, reqs []hostile.Request, nNormal, nHostile int, d time.Duration) *result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var (
		mu  sync.Mutex
		out result
		wg  sync.WaitGroup
	)
	for range nNormal {
		wg.Go(func() {
			var mine []time.Duration
			for ctx.Err() == nil {
				start := time.Now()
				if s, _ := post(base, normal); s == 200 {
					mine = append(mine, time.Since(start))
				}
			}
			mu.Lock()
			out.lat = append(out.lat, mine...)
			mu.Unlock()
		})
	}
	for c := range nHostile {
		wg.Go(func() {
			for i := c; ctx.Err() == nil; i++ {
				r := reqs[i%len(reqs)]
				start := time.Now()
				s, code := post(base, r.Body)
				mu.Lock()
				out.hostile++
				out.hlat = append(out.hlat, time.Since(start))
				if s != r.Status || code != r.Code {
					out.wrong++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	out.rate = float64(len(out.lat)) / d.Seconds()
	return &out
}

var client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// post sends one body and returns the status and the first error's code.
func post(base string, body []byte) (int, string) {
	req, _ := http.NewRequest("POST", base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var r struct {
		Errors []struct {
			Extensions struct{ Code string }
		}
	}
	_ = json.NewDecoder(resp.Body).Decode(&r)
	if len(r.Errors) > 0 {
		return resp.StatusCode, r.Errors[0].Extensions.Code
	}
	return resp.StatusCode, ""
}

func cpuSeconds(base string) float64 { return metric(base, "process_cpu_seconds_total") }

// metric reads one unlabelled series from /metrics.
func metric(base, name string) float64 {
	resp, err := client.Get(base + "/metrics")
	if err != nil {
		fmt.Fprintln(os.Stderr, "metrics:", err)
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// redisMemory is INFO memory's used_memory, over a bare RESP connection.
func redisMemory(addr string) float64 {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return 0
	}
	defer c.Close()
	fmt.Fprint(c, "*2\r\n$4\r\nINFO\r\n$6\r\nmemory\r\n")
	r := bufio.NewReader(c)
	head, _ := r.ReadString('\n')
	n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(head, "$")))
	buf := make([]byte, n)
	_, _ = io.ReadFull(r, buf)
	for line := range strings.SplitSeq(string(buf), "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}
