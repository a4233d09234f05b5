-- Saves a callback record if nobody changed it since it was read, keeping the one-pending-callback-
-- per-number-and-queue index in step. All or nothing.
-- KEYS[1] record  KEYS[2] index key it held  KEYS[3] index key it holds now  KEYS[4] ZSET of all
-- ARGV[1] expected version (0: must not exist)  ARGV[2] record JSON  ARGV[3] id
-- ARGV[4] "1" when the callback is over (frees the index, the record expires)  ARGV[5] score
-- ARGV[6] seconds a finished record is kept
-- Returns {"ok", version} | {"conflict", version} | {"taken", id of the pending callback holding the index}
local cur = redis.call('GET', KEYS[1])
local v = 0
if cur then v = tonumber(string.match(cur, '^{"v":(%d+),')) end
if v ~= tonumber(ARGV[1]) then return {'conflict', tostring(v)} end
local over = ARGV[4] == '1'
if not over then
  local holder = redis.call('GET', KEYS[3])
  if holder and holder ~= ARGV[3] then return {'taken', holder} end
end
if KEYS[2] ~= KEYS[3] or over then
  if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
end
if not over then redis.call('SET', KEYS[3], ARGV[3]) end
redis.call('SET', KEYS[1], '{"v":' .. (v + 1) .. ',"d":' .. ARGV[2] .. '}')
if over then redis.call('EXPIRE', KEYS[1], ARGV[6]) end
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[3])
return {'ok', tostring(v + 1)}
