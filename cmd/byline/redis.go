package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/bylinehq/byline/cache"
)

// redisOptions reads --redis: redis://[user:pass@]host:port[/db] for one
// server, several host:port separated by commas for a Cluster, and
// ?master=NAME for Sentinel (the hosts are then the sentinels). rediss://
// turns TLS on. The timeouts are the cache's (cache.TuneClient): short on
// purpose, since the database can always answer.
func redisOptions(raw string) (*redis.UniversalOptions, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return nil, fmt.Errorf("--redis %q: want redis://host:port, redis://h1:p1,h2:p2 (Cluster) or ?master=NAME (Sentinel)", raw)
	}
	first, err := redis.ParseURL(u.Scheme + "://" + userinfo(u) + strings.Split(u.Host, ",")[0] + u.Path)
	if err != nil {
		return nil, fmt.Errorf("--redis %q: %w", raw, err)
	}
	o := &redis.UniversalOptions{
		Addrs:      strings.Split(u.Host, ","),
		Username:   first.Username,
		Password:   first.Password,
		DB:         first.DB,
		TLSConfig:  first.TLSConfig,
		MasterName: u.Query().Get("master"),
	}
	cache.TuneClient(o)
	if n := u.Query().Get("pool"); n != "" {
		o.PoolSize, _ = strconv.Atoi(n)
	}
	return o, nil
}

func userinfo(u *url.URL) string {
	if u.User == nil {
		return ""
	}
	return u.User.String() + "@"
}

// redisLog hands go-redis's own log lines to slog, at warn: they report
// connection trouble, which the cache already survives.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client", "detail", fmt.Sprintf(format, v...))
}
