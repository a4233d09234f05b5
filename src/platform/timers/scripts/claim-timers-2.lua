-- Claims timers that are due, in due order. A claim is a lease: the timer's due time moves to
-- now + lease, so if the claiming instance dies (or its handler fails) the timer fires again
-- later; the handler's success deletes it (ack-timer-2.lua). Atomic, so each due timer is
-- claimed by one instance at a time.
-- KEYS[1] schedule (ZSET id -> due ms), KEYS[2] payloads (HASH id -> json)
-- ARGV[1] now (ms), ARGV[2] max timers to claim, ARGV[3] lease (ms)
-- Returns id, payload, leased score, for each claimed timer.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local leased = tonumber(ARGV[1]) + tonumber(ARGV[3])
local out = {}
for _, id in ipairs(due) do
  local payload = redis.call('HGET', KEYS[2], id)
  if payload then
    redis.call('ZADD', KEYS[1], leased, id)
    table.insert(out, id)
    table.insert(out, payload)
    table.insert(out, tostring(leased))
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
