-- PUT /notes/{id}: {title?, content?, expectedVersion?} -> 200 with the new
-- note. At least one of title/content is needed; the other keeps its value.
-- version goes up by one on every update; with expectedVersion the update
-- only happens if the stored version still equals it (else 409).
-- lib/notes.lua sits next to this file wherever the bundle root is: the
-- module name ("create" or "notes.create") says which prefix to use.
local here = (... or ""):match("^(.-)[^.]*$")
local notes = require(here .. "lib.notes")
local ddb = notes.ddb

local M = {}

local function expected_version(body)
    local v = body.expectedVersion
    if notes.is_null(v) then return nil end
    if math.type(v) ~= "integer" or v < 1 then
        notes.reject(400, "expectedVersion must be a positive integer")
    end
    return v
end

M.handler = notes.handler(function(event)
    local id = notes.path_id(event)
    local body = notes.json_body(event)
    local title = notes.text_field(body, "title", notes.TITLE_MAX, true)
    local content = notes.text_field(body, "content", notes.CONTENT_MAX, true)
    local expected = expected_version(body)
    if not title and not content then
        notes.reject(400, "Nothing to update: give title or content (or both)")
    end

    local names = { ["#id"] = "id", ["#version"] = "version", ["#updatedAt"] = "updatedAt" }
    local values = { [":one"] = { N = "1" }, [":now"] = { S = notes.now_iso(event) } }
    local sets = { "#updatedAt = :now", "#version = #version + :one" }
    if title then
        names["#title"], values[":title"] = "title", { S = title }
        sets[#sets + 1] = "#title = :title"
    end
    if content then
        names["#content"], values[":content"] = "content", { S = content }
        sets[#sets + 1] = "#content = :content"
    end
    local condition = "attribute_exists(#id)"
    if expected then
        condition = condition .. " AND #version = :expected"
        values[":expected"] = { N = tostring(expected) }
    end

    local table_name = notes.table_name()
    local res, err = ddb.update_item {
        TableName = table_name,
        Key = { id = { S = id } },
        UpdateExpression = "SET " .. table.concat(sets, ", "),
        ConditionExpression = condition,
        ExpressionAttributeNames = names,
        ExpressionAttributeValues = values,
        ReturnValues = "ALL_NEW",
        ReturnValuesOnConditionCheckFailure = "ALL_OLD",
    }
    if res then return notes.respond(200, notes.note_of(res.Attributes)) end
    if err.code ~= "ConditionalCheckFailedException" then
        notes.internal("UpdateItem %s: %s: %s", id, err.code, err.message)
    end
    -- The condition failed: missing note (404) or a stale version (409). The
    -- old item comes with the error; without it, ask (an older DynamoDB).
    local old = err.Item
    if notes.is_null(old) and expected then old = notes.get_item(table_name, id) end
    if notes.is_null(old) or not expected then notes.not_found(id) end
    local current = notes.note_of(old).version
    notes.reject(409, "Version conflict: note %s is at version %s, not the expected version %d",
        id, tostring(current), expected)
end)

return M
