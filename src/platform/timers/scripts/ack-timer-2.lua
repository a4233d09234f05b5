-- A claimed timer's handler finished: delete the timer, unless it was set again meanwhile
-- (a different due time), in which case the new setting stands.
-- KEYS[1] schedule, KEYS[2] payloads; ARGV[1] id, ARGV[2] the score the claim leased it at
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 1
end
return 0
