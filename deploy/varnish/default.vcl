# Varnish 7 in front of Byline: caches GET /graphql by the gateway's own
# headers (Cache-Control's s-maxage and max-age, Vary, ETag) and purges by
# surrogate key with varnish-modules' xkey. Byline's --purge URL points at
# this Varnish: every committed write sends PURGE with an xkey header naming
# the tags it changed (Article:<slug>, Section:<slug>, list:Article, …), the
# same tags the gateway sends in Surrogate-Key.
#
# Set the backend to where the gateways listen, and the purgers ACL to the
# addresses they purge from.
vcl 4.1;

import xkey;

backend byline {
    .host = "127.0.0.1";
    .port = "8080";
}

acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey) {
            return (synth(400, "PURGE needs an xkey header"));
        }
        set req.http.n-gone = xkey.purge(req.http.xkey);
        return (synth(200, "Purged " + req.http.n-gone));
    }
    # GraphQL reads over GET are the cacheable ones; POST, editors'
    # requests (Authorization) and everything else go to the gateway.
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.http.Authorization) {
        return (pass);
    }
    # Cookies are not part of any public answer.
    unset req.http.Cookie;
    return (hash);
}

sub vcl_backend_response {
    # The gateway names what an answer read; xkey indexes the object by it.
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    }
    # s-maxage is for shared caches like this one; Varnish's built-in
    # logic reads it, and anything private or no-store is never stored.
    if (beresp.http.Cache-Control ~ "(private|no-store)") {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    # An answer with errors is sent with no-store; a 5xx is never kept.
    if (beresp.status >= 500) {
        set beresp.uncacheable = true;
        set beresp.ttl = 1s;
        return (deliver);
    }
}

sub vcl_deliver {
    # Keys are for this cache, not for browsers.
    unset resp.http.xkey;
    if (obj.hits > 0) {
        set resp.http.X-CDN = "HIT";
    } else {
        set resp.http.X-CDN = "MISS";
    }
}
