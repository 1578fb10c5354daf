package cdn

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ParseTarget reads --purge:
//
//	http(s)://varnish:6081/          Varnish with xkey: PURGE, xkey header
//	fastly://SERVICE_ID?token=T      Fastly's purge by surrogate key
//	cloudflare://ZONE_ID?token=T     Cloudflare's purge by cache tag
//
// api= overrides the Fastly or Cloudflare API's base URL (a stand-in in
// tests, a proxy in production).
func ParseTarget(raw string) (Target, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--purge %q: want http(s)://varnish/, fastly://SERVICE?token=… or cloudflare://ZONE?token=…", raw)
	}
	q := u.Query()
	token, api := q.Get("token"), q.Get("api")
	switch u.Scheme {
	case "http", "https":
		return varnish{url: raw}, nil
	case "fastly":
		if token == "" {
			return nil, fmt.Errorf("--purge %q: fastly needs token=", redact(u))
		}
		return fastly{api: strings.TrimRight(or(api, "https://api.fastly.com"), "/"), service: u.Host, token: token}, nil
	case "cloudflare":
		if token == "" {
			return nil, fmt.Errorf("--purge %q: cloudflare needs token=", redact(u))
		}
		return cloudflare{api: strings.TrimRight(or(api, "https://api.cloudflare.com"), "/"), zone: u.Host, token: token}, nil
	}
	return nil, fmt.Errorf("--purge %q: unknown scheme %q", redact(u), u.Scheme)
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// redact keeps a token out of messages and logs.
func redact(u *url.URL) string {
	c := *u
	q := c.Query()
	if q.Has("token") {
		q.Set("token", "REDACTED")
	}
	c.RawQuery = q.Encode()
	return c.String()
}

// varnish purges with varnish-modules' xkey (deploy/varnish/default.vcl).
type varnish struct{ url string }

func (v varnish) String() string { return "varnish " + v.url }

func (v varnish) Purge(ctx context.Context, keys []string) error {
	for _, part := range chunks(keys, 500, 6<<10) { // Varnish's header limit is 8 KB
		if err := send(ctx, "PURGE", v.url, nil, "xkey", strings.Join(part, " ")); err != nil {
			return err
		}
	}
	return nil
}

// fastly: POST /service/{id}/purge with up to 256 keys in Surrogate-Key.
type fastly struct{ api, service, token string }

func (f fastly) String() string { return "fastly service " + f.service }

func (f fastly) Purge(ctx context.Context, keys []string) error {
	for _, part := range chunks(keys, 256, 1<<20) {
		err := send(ctx, http.MethodPost, f.api+"/service/"+url.PathEscape(f.service)+"/purge", nil,
			"Fastly-Key", f.token, "Surrogate-Key", strings.Join(part, " "), "Accept", "application/json")
		if err != nil {
			return err
		}
	}
	return nil
}

// cloudflare: POST /client/v4/zones/{zone}/purge_cache {"tags": […]}, at
// most 30 tags a call.
type cloudflare struct{ api, zone, token string }

func (c cloudflare) String() string { return "cloudflare zone " + c.zone }

func (c cloudflare) Purge(ctx context.Context, keys []string) error {
	for _, part := range chunks(keys, 30, 1<<20) {
		body, _ := json.Marshal(map[string][]string{"tags": part})
		err := send(ctx, http.MethodPost, c.api+"/client/v4/zones/"+url.PathEscape(c.zone)+"/purge_cache", body,
			"Authorization", "Bearer "+c.token, "Content-Type", "application/json")
		if err != nil {
			return err
		}
	}
	return nil
}

// send makes one purge call; anything but a 2xx is an error to retry.
func send(ctx context.Context, method, target string, body []byte, header ...string) error {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, req.URL.Redacted(), resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}
