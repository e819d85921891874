-- API Gateway -> Lua -> DynamoDB: GET BENCH_PATH/<id> of a random note among
-- note-000000 .. note-(BENCH_ITEMS-1), put in the table beforehand by bench.py.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local c = require("common")
c.install()
local path, items = c.env("BENCH_PATH"), c.env_int("BENCH_ITEMS")

function request()
  return wrk.format("GET", string.format("%s/note-%06d", path, math.random(0, items - 1)))
end
