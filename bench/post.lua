-- wrk script: POST the body in $BODY_FILE as JSON, with Accept-Encoding
-- from $ACCEPT_ENCODING when set (browsers and mobile apps send gzip).
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
local ae = os.getenv("ACCEPT_ENCODING")
if ae and ae ~= "" then
  wrk.headers["Accept-Encoding"] = ae
end
