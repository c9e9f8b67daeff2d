-- wrk script for bench/run: POST a note to each open handoff in turn.
-- BENCH_HANDOFFS holds the handoff ids, separated by spaces.
local ids = {}
for id in string.gmatch(os.getenv("BENCH_HANDOFFS") or "", "%S+") do
    ids[#ids + 1] = id
end
local n = 0
local body = '{"body": "Checked again: still stable, error rate under 0.1 %. Watching for another hour."}'

request = function()
    n = n + 1
    local path = "/api/v1/handoffs/" .. ids[(n % #ids) + 1] .. "/notes"
    return wrk.format("POST", path, nil, body)
end
