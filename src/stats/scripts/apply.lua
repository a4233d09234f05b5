-- Applies one batch of the statistics projector if nobody applied anything since the caller read the
-- cursor (compare-and-set on generation and last journal id): adds the counters, saves the projector
-- state and moves the cursor, all or nothing. The number of keys varies with the days the batch
-- touches (two keys per day), hence no <numKeys> in the name.
-- KEYS[1] cursor HASH {gen, id, n, state}
-- KEYS[2k], KEYS[2k+1] (k = 1..D) day HASH of counters, SET of the ids with counters that date
-- ARGV[1] generation read  ARGV[2] last journal id read ('0-0': none)  ARGV[3] new last id
-- ARGV[4] events in the batch  ARGV[5] projector state JSON  ARGV[6] D
-- then per day: id (the index member), EXPIREAT (unix s), S sums, M maxima, S×(field, value), M×(field, value)
-- Returns {'ok', events applied in this generation} | {'moved', generation, last id}
local cur = redis.call('HMGET', KEYS[1], 'gen', 'id')
local gen = cur[1] or '0'
local last = cur[2] or '0-0'
if gen ~= ARGV[1] or last ~= ARGV[2] then return {'moved', gen, last} end
local a = 7
for k = 1, tonumber(ARGV[6]) do
  local day, index = KEYS[2 * k], KEYS[2 * k + 1]
  local id, expireAt, sums, maxima = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  a = a + 4
  for _ = 1, sums do
    redis.call('HINCRBY', day, ARGV[a], ARGV[a + 1])
    a = a + 2
  end
  for _ = 1, maxima do
    local was = tonumber(redis.call('HGET', day, ARGV[a]))
    if not was or tonumber(ARGV[a + 1]) > was then redis.call('HSET', day, ARGV[a], ARGV[a + 1]) end
    a = a + 2
  end
  redis.call('SADD', index, id)
  redis.call('EXPIREAT', day, expireAt)
  redis.call('EXPIREAT', index, expireAt)
end
local n = redis.call('HINCRBY', KEYS[1], 'n', ARGV[4])
redis.call('HSET', KEYS[1], 'gen', ARGV[1], 'id', ARGV[3], 'state', ARGV[5])
return {'ok', tostring(n)}
