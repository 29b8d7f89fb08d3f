-- wrk script for bench/pages.py. Prints one JSON line with the numbers it needs (latencies in
-- microseconds). With WRK_THINK_MS set, each connection waits a random 0.5-1.5 times that long
-- before each request, like a person reading the page (wrk's own latency excludes the wait).
-- With WRK_COOKIES set ("a|b|…"), the requests take turns among those sessions (several people).
local think = tonumber(os.getenv("WRK_THINK_MS") or "0") or 0
local cookies = {}
for c in string.gmatch(os.getenv("WRK_COOKIES") or "", "[^|]+") do
  table.insert(cookies, c)
end
local turn = 0

if #cookies > 0 then
  request = function()
    turn = turn % #cookies + 1
    return wrk.format(nil, nil, {["Cookie"] = cookies[turn]})
  end
end

function setup(thread)
  thread:set("think", think)
end

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function delay()
  if think > 0 then
    return math.floor(think * (0.5 + math.random()))
  end
  return 0
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nWRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50": %d, "p90": %d, "p95": %d, "p99": %d, ' ..
    '"max": %d, "mean": %.1f, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
