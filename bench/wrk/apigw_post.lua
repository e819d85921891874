-- API Gateway -> Lua -> DynamoDB: POST BENCH_PATH (the notes collection,
-- e.g. /restapis/<id>/dev/_user_request_/notes) creating a note each time.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local c = require("common")
c.install()
local path = c.env("BENCH_PATH")
local headers = { ["Content-Type"] = "application/json" }

function request()
  local n = math.random(0, 999999)
  local body = string.format('{"title":"bench %d","content":"note body %d for the benchmark"}', n, n)
  return wrk.format("POST", path, headers, body)
end
