-- GET /notes/{id}: 200 with the note, 404 if there is none.
-- lib/notes.lua sits next to this file wherever the bundle root is: the
-- module name ("create" or "notes.create") says which prefix to use.
local here = (... or ""):match("^(.-)[^.]*$")
local notes = require(here .. "lib.notes")

local M = {}

M.handler = notes.handler(function(event)
    local id = notes.path_id(event)
    local item = notes.get_item(notes.table_name(), id)
    if not item then notes.not_found(id) end
    return notes.respond(200, notes.note_of(item))
end)

return M
