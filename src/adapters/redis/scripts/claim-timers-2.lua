-- Claims timers that are due: removes them from the schedule and returns their payloads, in due
-- order. Atomic, so when several instances poll, each timer fires in exactly one of them.
-- KEYS[1] schedule (ZSET id -> due ms), KEYS[2] payloads (HASH id -> json)
-- ARGV[1] now (ms), ARGV[2] max timers to claim
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(due) do
  redis.call('ZREM', KEYS[1], id)
  local payload = redis.call('HGET', KEYS[2], id)
  redis.call('HDEL', KEYS[2], id)
  if payload then
    table.insert(out, id)
    table.insert(out, payload)
  end
end
return out
