-- DELETE /notes/{id}: 204, or 404 if there is no such note.
-- lib/notes.lua sits next to this file wherever the bundle root is: the
-- module name ("create" or "notes.create") says which prefix to use.
local here = (... or ""):match("^(.-)[^.]*$")
local notes = require(here .. "lib.notes")
local ddb = notes.ddb

local M = {}

M.handler = notes.handler(function(event)
    local id = notes.path_id(event)
    local res, err = ddb.delete_item {
        TableName = notes.table_name(),
        Key = { id = { S = id } },
        ConditionExpression = "attribute_exists(#id)",
        ExpressionAttributeNames = { ["#id"] = "id" },
    }
    if res then return notes.no_content() end
    if err.code == "ConditionalCheckFailedException" then notes.not_found(id) end
    notes.internal("DeleteItem %s: %s: %s", id, err.code, err.message)
end)

return M
