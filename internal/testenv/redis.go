package testenv

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RedisServer is a redis-server a test started for itself, so it may stop
// and restart it without disturbing anyone else.
type RedisServer struct {
	t    testing.TB
	Addr string
	port int
	dir  string
	cmd  *exec.Cmd
	args []string
}

// freePort asks the kernel for a port nobody listens on.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartRedis starts a private redis-server, or skips (fails when Redis is
// required) when the binary is missing.
func StartRedis(t testing.TB, extra ...string) *RedisServer {
	t.Helper()
	_, err := exec.LookPath("redis-server")
	if err != nil {
		Missing(t, "redis", err)
	}
	port := freePort(t)
	s := &RedisServer{t: t, port: port, Addr: "127.0.0.1:" + strconv.Itoa(port), dir: t.TempDir()}
	s.args = append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", s.dir}, extra...)
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start (re)starts the server and waits until it answers.
func (s *RedisServer) Start() {
	s.t.Helper()
	s.cmd = exec.Command("redis-server", s.args...)
	s.cmd.Stdout, s.cmd.Stderr = nil, nil
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", s.Addr, 100*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("redis-server on %s did not start", s.Addr)
}

// Stop kills the server (as a crash would) and waits for it to go.
func (s *RedisServer) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_, _ = s.cmd.Process.Wait()
	s.cmd = nil
}

// StartRedisCluster starts three cluster-enabled redis-servers and joins
// them into one Cluster with redis-cli, returning the nodes' addresses.
func StartRedisCluster(t testing.TB) []string {
	t.Helper()
	var addrs []string
	for _, s := range StartRedisClusterServers(t) {
		addrs = append(addrs, s.Addr)
	}
	return addrs
}

// StartRedisClusterServers is StartRedisCluster for a test that stops and
// restarts nodes: each keeps its cluster configuration across a restart.
func StartRedisClusterServers(t testing.TB) []*RedisServer {
	t.Helper()
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		Missing(t, "redis", err)
	}
	var addrs []string
	var servers []*RedisServer
	for i := 0; i < 3; i++ {
		dir := t.TempDir()
		s := StartRedis(t, "--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes.conf"), "--cluster-node-timeout", "2000")
		addrs = append(addrs, s.Addr)
		servers = append(servers, s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	// Wait until every node reports the cluster healthy.
	for _, a := range addrs {
		host, port, _ := strings.Cut(a, ":")
		for {
			out, _ := exec.CommandContext(ctx, cli, "-h", host, "-p", port, "cluster", "info").Output()
			if strings.Contains(string(out), "cluster_state:ok") {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("cluster on %s not ok: %s", a, out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return servers
}
