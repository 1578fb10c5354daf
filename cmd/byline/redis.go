package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisOptions reads --redis: redis://[user:pass@]host:port[/db] for one
// server, several host:port separated by commas for a Cluster, and
// ?master=NAME for Sentinel (the hosts are then the sentinels). rediss://
// turns TLS on. Timeouts are short on purpose: a slow Redis must cost a
// request little, since the database can always answer.
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
		Addrs:                 strings.Split(u.Host, ","),
		Username:              first.Username,
		Password:              first.Password,
		DB:                    first.DB,
		TLSConfig:             first.TLSConfig,
		MasterName:            u.Query().Get("master"),
		DialTimeout:           250 * time.Millisecond,
		ReadTimeout:           200 * time.Millisecond,
		WriteTimeout:          200 * time.Millisecond,
		PoolTimeout:           200 * time.Millisecond,
		ContextTimeoutEnabled: true,
		MaxRetries:            1,
	}
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
