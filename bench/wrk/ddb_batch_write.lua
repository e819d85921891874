-- BatchWriteItem of 25 puts with random keys b0000000 .. b0999999 into
-- BENCH_TABLE; the 25 keys of one batch are 40,000 apart, never duplicates
-- (which DynamoDB refuses).
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local c = require("common")
c.install()
local tbl = c.env("BENCH_TABLE")
local headers = c.ddb_headers("BatchWriteItem")

function request()
  local puts = {}
  local base = math.random(0, 39999)
  for i = 1, 25 do
    local k = base + (i - 1) * 40000
    puts[i] = string.format('{"PutRequest":{"Item":{"pk":{"S":"b%07d"},"n":{"N":"%d"},' ..
      '"payload":{"S":"0123456789abcdef0123456789abcdef"}}}}', k, k)
  end
  local body = string.format('{"RequestItems":{"%s":[%s]}}', tbl, table.concat(puts, ","))
  return wrk.format("POST", "/", headers, body)
end
