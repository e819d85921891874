-- GET /notes?limit=N&next=CURSOR: {"items":[...], "next": "<cursor>"|null}.
-- The cursor is the Scan's LastEvaluatedKey as base64url JSON; clients pass
-- it back unchanged. As with DynamoDB, a page may end with a cursor that
-- leads to an empty last page.
-- lib/notes.lua sits next to this file wherever the bundle root is: the
-- module name ("create" or "notes.create") says which prefix to use.
local here = (... or ""):match("^(.-)[^.]*$")
local notes = require(here .. "lib.notes")
local ddb, json = notes.ddb, notes.json

local M = {}

M.handler = notes.handler(function(event)
    local limit, start = notes.list_params(event)
    local res, err = ddb.scan {
        TableName = notes.table_name(),
        Limit = limit,
        ExclusiveStartKey = start,
    }
    if not res then notes.internal("Scan: %s: %s", err.code, err.message) end
    local items = json.array()
    for i, item in ipairs(res.Items or {}) do items[i] = notes.note_of(item) end
    return notes.respond(200, { items = items, next = notes.encode_cursor(res.LastEvaluatedKey) })
end)

return M
