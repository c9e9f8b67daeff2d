-- wrk script for bench/run: the page at the command line's path, with a new
-- query parameter on every request, so that Baton never has a kept copy and
-- renders the page each time (what the first look after a write costs).
local threads = 0

function setup(thread)
    threads = threads + 1
    thread:set("thread_id", threads)
end

local n = 0

request = function()
    n = n + 1
    local path = wrk.path .. "?fresh=" .. thread_id .. "-" .. n
    return wrk.format("GET", path)
end
