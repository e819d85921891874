-- Shared by the bench/wrk scripts: signed-looking AWS headers, per-thread
-- random seeds, and a done() that prints the run's figures as one JSON line
-- ("WRK_JSON {...}") for bench/bench.py to read instead of scraping text.
-- Scripts are configured through BENCH_* environment variables.
local M = {}

function M.env(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then
    if default == nil then error("bench: set " .. name) end
    return default
  end
  return v
end

function M.env_int(name, default)
  return math.floor(tonumber(M.env(name, default and tostring(default))))
end

-- A SigV4 Authorization header with a real credential scope, so the region
-- routing and every peer's header checks see what an SDK sends; signatures
-- are not verified by any server under test.
local AMZ_DATE = "20240101T000000Z"
function M.auth_headers(service)
  local region = M.env("BENCH_REGION", "us-east-1")
  return {
    ["X-Amz-Date"] = AMZ_DATE,
    ["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIABENCHMARK0000000/20240101/" .. region .. "/" ..
      service .. "/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, " ..
      "Signature=3f1c0c3e8d6b2a9f4e5d7c8b9a0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7",
  }
end

function M.ddb_headers(op)
  local h = M.auth_headers("dynamodb")
  h["Content-Type"] = "application/x-amz-json-1.0"
  h["X-Amz-Target"] = "DynamoDB_20120810." .. op
  return h
end

-- Each wrk thread gets its own index (for distinct random streams).
local next_tid = 0
function M.setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

function M.init()
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

function M.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"rps":%.2f,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end

-- Installs setup/init/done as wrk globals; the script adds request().
function M.install()
  setup = M.setup
  init = M.init
  done = M.done
end

return M
