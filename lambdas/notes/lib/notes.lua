--[[
notes.lua — what the five notes handlers share: request parsing and
validation, JSON responses with CORS headers, ids and timestamps, and the
DynamoDB calls (through the in-process aws.dynamodb module).

A note is stored as one item keyed by `id` (S) and returned to clients as
JSON {id, title, content, createdAt, updatedAt, version}; nothing else of the
item leaks into a response.

Limits (checked on create and update; lengths are in UTF-8 characters, not
bytes, so a title of 200 accented letters is fine):
  title    1..200 characters, not blank
  content  1..10,000 characters, not blank
  id       1..128 characters (a path id longer than that cannot be ours -> 400)
  limit    1..100, default 20 (GET /notes?limit=)

Bodies: members other than title, content (and expectedVersion on update)
are ignored, so a client cannot choose id, version or the timestamps. Text
is stored as sent (not trimmed); only an all-blank value counts as empty.

Errors are answered {"message": "..."} with a 4xx status naming the field; a
DynamoDB failure we did not expect is logged (print goes to the function's
log) and answered 500 {"message":"Internal server error"}, as API Gateway
itself words it.
]]

local json = require("json")
local ddb = require("aws.dynamodb")

local M = {}

M.TITLE_MAX = 200
M.CONTENT_MAX = 10000
M.ID_MAX = 128
M.LIMIT_DEFAULT = 20
M.LIMIT_MAX = 100

local ALLOW_ORIGIN = "*"
local ALLOW_METHODS = "GET,POST,PUT,DELETE,OPTIONS"
local ALLOW_HEADERS = "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token"

-- ---- responses ---------------------------------------------------------------

-- A fresh table per response (a caller may change it), made by one
-- constructor: copying a shared table with pairs cost more than the rest.
local function headers(with_json)
    return {
        ["Access-Control-Allow-Origin"] = ALLOW_ORIGIN,
        ["Access-Control-Allow-Methods"] = ALLOW_METHODS,
        ["Access-Control-Allow-Headers"] = ALLOW_HEADERS,
        ["Content-Type"] = with_json and "application/json" or nil,
    }
end

-- A proxy-integration response: only the keys API Gateway accepts.
function M.respond(status, value)
    return {
        statusCode = status,
        headers = headers(true),
        body = json.encode(value),
        isBase64Encoded = false,
    }
end

function M.no_content()
    return { statusCode = 204, headers = headers(false), body = "", isBase64Encoded = false }
end

function M.fail(status, fmt, ...)
    return M.respond(status, { message = string.format(fmt, ...) })
end

-- Raised inside a handler to end it with a 4xx; M.handler turns it into a response.
local Reject = {}
Reject.__index = Reject

local function reject(status, fmt, ...)
    error(setmetatable({ status = status, message = string.format(fmt, ...) }, Reject), 0)
end
M.reject = reject

local function internal(fmt, ...)
    print("ERROR " .. string.format(fmt, ...))
    error(setmetatable({ status = 500, message = "Internal server error" }, Reject), 0)
end
M.internal = internal

-- Wrap a handler body fn(event, context) so that rejections become 4xx
-- responses and anything unexpected a logged 500 (never a raw Lambda error,
-- which API Gateway would turn into a bare 502 without CORS headers).
function M.handler(fn)
    return function(event, context)
        local ok, res = pcall(fn, event or {}, context)
        if ok then return res end
        if getmetatable(res) == Reject then return M.fail(res.status, "%s", res.message) end
        print("ERROR unhandled: " .. tostring(res))
        return M.fail(500, "Internal server error")
    end
end

-- ---- base64 (standard and url-safe) -------------------------------------------

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

local function b64_encode(s, alphabet, pad)
    local out = {}
    for i = 1, #s, 3 do
        local a, b, c = s:byte(i, i + 2)
        local n = (a << 16) | ((b or 0) << 8) | (c or 0)
        local chunk = {}
        for k = 1, 4 do
            local v = (n >> (6 * (4 - k))) & 63
            chunk[k] = alphabet:sub(v + 1, v + 1)
        end
        if not b then chunk[3], chunk[4] = pad and "=" or "", pad and "=" or ""
        elseif not c then chunk[4] = pad and "=" or "" end
        out[#out + 1] = table.concat(chunk)
    end
    return table.concat(out)
end

-- nil when s is not base64 in this alphabet (padding optional).
local function b64_decode(s, alphabet)
    local index = {}
    for i = 1, 64 do index[alphabet:byte(i)] = i - 1 end
    s = s:gsub("=+$", "")
    if #s % 4 == 1 then return nil end
    local out, n, bits = {}, 0, 0
    for i = 1, #s do
        local v = index[s:byte(i)]
        if not v then return nil end
        n, bits = (n << 6) | v, bits + 6
        if bits >= 8 then
            bits = bits - 8
            out[#out + 1] = string.char((n >> bits) & 255)
        end
    end
    return table.concat(out)
end

M.b64_encode = function(s) return b64_encode(s, B64, true) end
M.b64_decode = function(s) return b64_decode(s, B64) end

-- ---- ids and time --------------------------------------------------------------

-- math.random is xoshiro256**; Lua seeds each state from the clock and the
-- state's address, which two environments made in the same second at a
-- reused address would share. So once per environment we reseed, mixing
-- that seed's output with the first request id (fresh random from the
-- emulator), os.clock (CPU time), os.time and a new table's address. Ids
-- are also written with attribute_not_exists(id), so even a collision could
-- never overwrite a note: create retries with a fresh id.
local seeded = false

local function seed(context)
    if seeded then return end
    local s = table.concat({
        tostring(math.random(0)), tostring(context and context.aws_request_id or ""),
        tostring(os.clock()), tostring(os.time()), tostring({}),
    }, "|")
    local h = -3750763034362895579           -- FNV-1a 64-bit offset basis
    for i = 1, #s do h = (h ~ s:byte(i)) * 1099511628211 end
    math.randomseed(h, math.random(0) ~ os.time())
    seeded = true
end

-- 122 random bits from two 64-bit draws, written by one string.format:
-- formatting 16 single bytes made 16 snprintf calls, the bulk of a create's
-- Lua time. Field by field (RFC 4122): time_low 32 bits, time_mid 16,
-- version 4 + 12, variant 10xx + 14, node 48.
function M.uuid4(context)
    seed(context)
    local hi, lo = math.random(0), math.random(0)
    return string.format("%08x-%04x-%04x-%04x-%04x%08x",
        hi >> 32, (hi >> 16) & 0xffff, (hi & 0x0fff) | 0x4000,
        ((lo >> 48) & 0x3fff) | 0x8000, (lo >> 32) & 0xffff, lo & 0xffffffff)
end

-- Now as ISO-8601 UTC with milliseconds. The sandbox's clock has whole
-- seconds only; API Gateway's requestTimeEpoch has milliseconds, so we use
-- it when it is plausibly now (a replayed fixture event carries an old one).
-- The date and time of day change once a second, so the last second's text
-- is kept: os.date is most of the cost of a call.
local date_sec, date_text
function M.now_iso(event)
    local now = os.time()
    local ms = now * 1000
    local rc = type(event) == "table" and type(event.requestContext) == "table" and event.requestContext
    local epoch = rc and math.tointeger(rc.requestTimeEpoch)
    if epoch and math.abs(epoch // 1000 - now) <= 5 then ms = epoch end
    local sec = ms // 1000
    if sec ~= date_sec then date_sec, date_text = sec, os.date("!%Y-%m-%dT%H:%M:%S", sec) end
    return string.format("%s.%03dZ", date_text, ms % 1000)
end

-- ---- request parsing -------------------------------------------------------------

function M.table_name()
    local t = os.getenv("NOTES_TABLE")
    if not t or t == "" then internal("NOTES_TABLE is not set: the function needs the notes table's name") end
    return t
end

local function is_null(v) return v == nil or v == json.null end

-- The note id from the path: /notes/{id}.
function M.path_id(event)
    local p = event.pathParameters
    local id = type(p) == "table" and p.id or nil
    if type(id) ~= "string" or id == "" then reject(400, "Missing note id in the path: /notes/{id}") end
    if utf8.len(id) == nil or utf8.len(id) > M.ID_MAX then
        reject(400, "id must be at most %d characters", M.ID_MAX)
    end
    return id
end

-- The body as a JSON object (a Lua table), or a 400 saying what is wrong.
function M.json_body(event)
    local body = event.body
    if is_null(body) or body == "" then reject(400, "Request body is required: a JSON object") end
    if type(body) ~= "string" then reject(400, "Request body must be JSON text") end
    if event.isBase64Encoded == true then
        body = M.b64_decode(body)
        if not body then reject(400, "Request body is marked base64 but is not valid base64") end
    end
    local ok, value = pcall(json.decode, body)
    if not ok then
        local why = tostring(value):gsub("^json%.decode: ", "")
        reject(400, "Request body is not valid JSON: %s", why)
    end
    if type(value) ~= "table" or json.is_array(value) then reject(400, "Request body must be a JSON object") end
    return value
end

-- A required (or, with optional, possibly absent) text field within limits.
function M.text_field(obj, name, max, optional)
    local v = obj[name]
    if is_null(v) then
        if optional then return nil end
        reject(400, "%s is required", name)
    end
    if type(v) ~= "string" then reject(400, "%s must be a string", name) end
    local n = utf8.len(v)
    if not n then reject(400, "%s must be valid UTF-8 text", name) end
    if not v:find("%S") then reject(400, "%s must not be empty", name) end
    if n > max then reject(400, "%s must be at most %d characters (got %d)", name, max, n) end
    return v
end

-- ?limit= and ?next= for GET /notes.
function M.list_params(event)
    local q = event.queryStringParameters
    if type(q) ~= "table" then q = {} end
    local limit = M.LIMIT_DEFAULT
    if not is_null(q.limit) then
        local s = tostring(q.limit)
        local n = s:match("^%d+$") and math.tointeger(tonumber(s))
        if not n or n < 1 or n > M.LIMIT_MAX then
            reject(400, "limit must be an integer from 1 to %d (got \"%s\")", M.LIMIT_MAX, s)
        end
        limit = n
    end
    local start
    if not is_null(q.next) and q.next ~= "" then start = M.decode_cursor(tostring(q.next)) end
    return limit, start
end

-- ---- cursors: base64url of the JSON LastEvaluatedKey, opaque to clients ------

function M.encode_cursor(key)
    if is_null(key) then return json.null end
    return b64_encode(json.encode(key), B64URL, false)
end

function M.decode_cursor(s)
    local text = b64_decode(s, B64URL)
    local ok, key = false, nil
    if text then ok, key = pcall(json.decode, text) end
    -- Only a key of this table's shape, {"id":{"S":"..."}}, is a cursor we made.
    if not ok or type(key) ~= "table" or type(key.id) ~= "table" or type(key.id.S) ~= "string" then
        reject(400, "next is not a valid cursor: pass the value a previous page returned")
    end
    for k in pairs(key) do
        if k ~= "id" then reject(400, "next is not a valid cursor: pass the value a previous page returned") end
    end
    return { id = { S = key.id.S } }
end

-- ---- notes <-> items --------------------------------------------------------------

-- A new note as its stored item: what ddb.to_item(note) makes, written out
-- since the six fields and their types are fixed (five strings and the
-- integer version), which spares building the map in C and marking every
-- value (a sixth of a create's DynamoDB cost).
function M.item_of(note)
    return {
        id = { S = note.id }, title = { S = note.title }, content = { S = note.content },
        createdAt = { S = note.createdAt }, updatedAt = { S = note.updatedAt },
        version = { N = string.format("%d", note.version) },
    }
end

-- The client's view of a stored item (an AttributeValue map).
function M.note_of(item)
    local v = ddb.from_item(item)
    return {
        id = v.id,
        title = v.title,
        content = v.content,
        createdAt = v.createdAt,
        updatedAt = v.updatedAt,
        version = v.version,
    }
end

-- Reads a note's item; nil when there is none.
function M.get_item(table_name, id)
    local res, err = ddb.get_item { TableName = table_name, Key = { id = { S = id } }, ConsistentRead = true }
    if not res then internal("GetItem %s: %s: %s", id, err.code, err.message) end
    return res.Item
end

function M.not_found(id)
    reject(404, "Note %s not found", id)
end

M.ddb = ddb
M.json = json
M.is_null = is_null

return M
