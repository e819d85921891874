-- Lambda Invoke (RequestResponse) of BENCH_FUNCTION, a trivial handler that
-- echoes one field, with a varying payload.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local c = require("common")
c.install()
local path = "/2015-03-31/functions/" .. c.env("BENCH_FUNCTION") .. "/invocations"
local headers = c.auth_headers("lambda")
headers["Content-Type"] = "application/json"

function request()
  return wrk.format("POST", path, headers, string.format('{"n":%d}', math.random(0, 999999)))
end
