-- wrk script: every request a cache miss. The article field gets a fresh
-- alias each time (a new document, so a new cache key) and the gateway
-- runs the whole query: the cache's miss path, measured end to end.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
local template = f:read("*a")
f:close()
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local ae = os.getenv("ACCEPT_ENCODING")
local headers = {["Content-Type"] = "application/json"}
if ae and ae ~= "" then
  headers["Accept-Encoding"] = ae
end
local counter, run = 0, ""
function init(args)
  -- tid is a global that setup() put in this thread's state; the run id
  -- keeps a second run from hitting the first run's entries.
  run = tostring(os.time()) .. "_" .. tostring(tid)
end
function request()
  counter = counter + 1
  local body = string.gsub(template, "article%(slug", "a" .. run .. "_" .. counter .. ": article(slug", 1)
  return wrk.format("POST", nil, headers, body)
end
