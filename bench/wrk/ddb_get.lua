-- GetItem of a random existing item: BENCH_TABLE (hash key pk), keys
-- k0000000 .. k(BENCH_ITEMS-1), loaded beforehand by bench.py.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local c = require("common")
c.install()
local tbl, items = c.env("BENCH_TABLE"), c.env_int("BENCH_ITEMS")
local headers = c.ddb_headers("GetItem")

function request()
  local body = string.format('{"TableName":"%s","Key":{"pk":{"S":"k%07d"}}}', tbl, math.random(0, items - 1))
  return wrk.format("POST", "/", headers, body)
end
