-- GetItem of a random item in the Query table (hash pk "q%05d", range sk N):
-- the item-count scaling scenario's point read.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local c = require("common")
c.install()
local tbl, parts = c.env("BENCH_TABLE"), c.env_int("BENCH_PARTITIONS")
local per = c.env_int("BENCH_PER_PARTITION", 100)
local headers = c.ddb_headers("GetItem")

function request()
  local body = string.format('{"TableName":"%s","Key":{"pk":{"S":"q%05d"},"sk":{"N":"%d"}}}',
    tbl, math.random(0, parts - 1), math.random(0, per - 1))
  return wrk.format("POST", "/", headers, body)
end
