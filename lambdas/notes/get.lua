-- GET /notes/{id}: 200 with the note, 404 if there is none.
local notes = require("lib.notes")

local M = {}

M.handler = notes.handler(function(event)
    local id = notes.path_id(event)
    local item = notes.get_item(notes.table_name(), id)
    if not item then notes.not_found(id) end
    return notes.respond(200, notes.note_of(item))
end)

return M
