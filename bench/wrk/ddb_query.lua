-- Query of one random partition: BENCH_TABLE has hash key pk ("q%05d") and
-- range key sk (N), BENCH_PER_PARTITION items under each of BENCH_PARTITIONS
-- partitions; every Query returns all of them (100 in the scenarios).
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local c = require("common")
c.install()
local tbl, parts = c.env("BENCH_TABLE"), c.env_int("BENCH_PARTITIONS")
local headers = c.ddb_headers("Query")

function request()
  local body = string.format('{"TableName":"%s","KeyConditionExpression":"pk = :p",' ..
    '"ExpressionAttributeValues":{":p":{"S":"q%05d"}}}', tbl, math.random(0, parts - 1))
  return wrk.format("POST", "/", headers, body)
end
