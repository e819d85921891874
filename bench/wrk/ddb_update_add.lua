-- UpdateItem ADD on one hot item: every request increments the same counter,
-- so all writers contend for one key (the write path's serialisation cost).
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local c = require("common")
c.install()
local tbl = c.env("BENCH_TABLE")
local headers = c.ddb_headers("UpdateItem")
local body = string.format('{"TableName":"%s","Key":{"pk":{"S":"hot"}},"UpdateExpression":"ADD #c :one",' ..
  '"ExpressionAttributeNames":{"#c":"counter"},"ExpressionAttributeValues":{":one":{"N":"1"}}}', tbl)
local req = nil

function request()
  if not req then req = wrk.format("POST", "/", headers, body) end
  return req
end
