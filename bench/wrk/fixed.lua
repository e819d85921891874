-- The ceiling's load: a GetItem-shaped request (the ceiling answers anything
-- with the same fixed body), so request sizes match the GetItem scenario.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local c = require("common")
c.install()
local headers = c.ddb_headers("GetItem")

function request()
  local body = string.format('{"TableName":"bench","Key":{"pk":{"S":"k%07d"}}}', math.random(0, 9999))
  return wrk.format("POST", "/", headers, body)
end
