-- PutItem of a fresh-or-overwritten item with random key p0000000 .. p0999999
-- (a prefix the GetItem keys never use) into BENCH_TABLE.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local c = require("common")
c.install()
local tbl = c.env("BENCH_TABLE")
local headers = c.ddb_headers("PutItem")

function request()
  local k = math.random(0, 999999)
  local body = string.format('{"TableName":"%s","Item":{"pk":{"S":"p%07d"},"n":{"N":"%d"},' ..
    '"payload":{"S":"0123456789abcdef0123456789abcdef"}}}', tbl, k, k)
  return wrk.format("POST", "/", headers, body)
end
