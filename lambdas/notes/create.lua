-- POST /notes: {title, content} -> 201 with the new note (version 1).
-- lib/notes.lua sits next to this file wherever the bundle root is: the
-- module name ("create" or "notes.create") says which prefix to use.
local here = (... or ""):match("^(.-)[^.]*$")
local notes = require(here .. "lib.notes")
local ddb = notes.ddb

local M = {}

M.handler = notes.handler(function(event, context)
    local body = notes.json_body(event)
    local title = notes.text_field(body, "title", notes.TITLE_MAX)
    local content = notes.text_field(body, "content", notes.CONTENT_MAX)
    local table_name = notes.table_name()
    local now = notes.now_iso(event)
    -- attribute_not_exists(id): a fresh id never overwrites a note; on the
    -- (astronomically unlikely) collision we draw another id.
    for _ = 1, 3 do
        local note = {
            id = notes.uuid4(context), title = title, content = content,
            createdAt = now, updatedAt = now, version = 1,
        }
        local res, err = ddb.put_item {
            TableName = table_name,
            Item = notes.item_of(note),
            ConditionExpression = "attribute_not_exists(#id)",
            ExpressionAttributeNames = { ["#id"] = "id" },
        }
        if res then return notes.respond(201, note) end
        if err.code ~= "ConditionalCheckFailedException" then
            notes.internal("PutItem: %s: %s", err.code, err.message)
        end
    end
    notes.internal("PutItem: three generated ids were all taken")
end)

return M
