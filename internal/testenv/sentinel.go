package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sentinel is a Redis master with one replica, watched by one Sentinel
// (quorum 1), all private to the test: the smallest set-up in which a
// failover really happens. Timings are short so a test sees one in
// seconds: the master is down after 1 s without an answer.
type Sentinel struct {
	Name     string // the master's name, for ?master= and MasterName
	Addr     string // the sentinel's address, what clients are given
	Master   *RedisServer
	Replica  *RedisServer
	sentinel *RedisServer
	t        testing.TB
}

// StartRedisSentinel starts the master, its replica (synced) and the
// sentinel (which knows both) and returns once a failover could happen.
func StartRedisSentinel(t testing.TB) *Sentinel {
	t.Helper()
	// No wait before a full sync (Redis waits 5 s for more replicas by
	// default): the replica is in sync at once.
	master := StartRedis(t, "--repl-diskless-sync-delay", "0")
	replica := StartRedis(t, "--repl-diskless-sync-delay", "0", "--replicaof", "127.0.0.1", strconv.Itoa(master.port))
	s := &Sentinel{Name: "bylinetest", Master: master, Replica: replica, t: t}

	// A sentinel rewrites its configuration file as it learns, so the file
	// is the test's own.
	port := freePort(t)
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\n"+
		"sentinel monitor %s 127.0.0.1 %d 1\n"+
		"sentinel down-after-milliseconds %[3]s 1000\n"+
		"sentinel failover-timeout %[3]s 3000\n",
		port, filepath.Dir(conf), s.Name, master.port)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	s.sentinel = &RedisServer{t: t, port: port, Addr: "127.0.0.1:" + strconv.Itoa(port), args: []string{conf, "--sentinel"}}
	s.sentinel.Start()
	t.Cleanup(s.sentinel.Stop)
	s.Addr = s.sentinel.Addr

	s.waitFor("the replica to sync", func(ctx context.Context) bool {
		return strings.Contains(replication(ctx, replica.Addr), "master_link_status:up")
	})
	s.waitFor("the sentinel to know the replica", func(ctx context.Context) bool {
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr})
		defer sc.Close()
		replicas, err := sc.Replicas(ctx, s.Name).Result()
		if err != nil || len(replicas) != 1 {
			return false
		}
		return replicas[0]["flags"] == "slave" && replicas[0]["master-link-status"] == "ok"
	})
	return s
}

// MasterAddr is the master's address as the sentinel names it now.
func (s *Sentinel) MasterAddr(ctx context.Context) (string, error) {
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr})
	defer sc.Close()
	hp, err := sc.GetMasterAddrByName(ctx, s.Name).Result()
	if err != nil {
		return "", err
	}
	return strings.Join(hp, ":"), nil
}

// Failover kills the master, as a crash would, and returns once the
// sentinel has promoted the replica; the old master stays down.
func (s *Sentinel) Failover() {
	s.t.Helper()
	old := s.Master
	old.Stop()
	s.waitFor("the sentinel to promote the replica", func(ctx context.Context) bool {
		addr, err := s.MasterAddr(ctx)
		if err != nil || addr != s.Replica.Addr {
			return false
		}
		return strings.Contains(replication(ctx, s.Replica.Addr), "role:master")
	})
	s.Master, s.Replica = s.Replica, old
}

// replication is the server's INFO replication, empty when it does not answer.
func replication(ctx context.Context, addr string) string {
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	info, _ := c.Info(ctx, "replication").Result()
	return info
}

func (s *Sentinel) waitFor(what string, ok func(ctx context.Context) bool) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		done := ok(ctx)
		cancel()
		if done {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("sentinel set-up: %s took over 30 s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
