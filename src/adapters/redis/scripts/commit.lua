-- commit.lua: apply one optimistic ACD transaction over versioned documents, all or nothing.
--
-- Named "commit.lua", not "commit-<numKeys>.lua" like the other scripts: the number of keys
-- depends on the transaction (how many documents it expects, how many indexes it touches), so
-- the caller passes numkeys to EVALSHA/EVAL itself. Every key the script touches is in KEYS.
--
-- A document is a Redis string '{"v":<version>,"d":<json>}'. The version is read with a pattern
-- match on that fixed prefix (no cjson decode of the body), and a write is a string
-- concatenation of the caller's JSON (no cjson encode): cost does not grow with document size
-- beyond copying bytes.
--
-- KEYS  = expect (E) | put (P) | del (D) | zadd (ZA) | zrem (ZR) | sadd (SA) | srem (SR)
--         | (when C > 0) change counter HASH {seq, epoch}, change ZSET
-- ARGV  = E, P, D, ZA, ZR, SA, SR, C,
--         E expected versions ("0" = must not exist),
--         P pairs (new version, json of the document),
--         ZA pairs (score, member), ZR members, SA members, SR members,
--         C ids of the agents whose document this writes, then (when C > 0) a new epoch token
-- Writes apply in that order: put, del, zadd, zrem, sadd, srem, change feed.
--
-- The change feed lets a reader keep every agent document in memory and fetch only what
-- changed: the counter is incremented once per applied transaction that writes agents, and each
-- written agent id is scored with the new count (one member per agent, so the ZSET stays as
-- small as the agent list).
--
-- Returns 1 when applied, or {0, key, actualVersion} for the first expected document whose
-- version differs (nothing is written then).
local n = {}
for i = 1, 8 do n[i] = tonumber(ARGV[i]) end
local k, a = 0, 8

for i = 1, n[1] do
  local key = KEYS[k + i]
  local raw = redis.call('GET', key)
  local have = '0'
  if raw then
    have = string.match(raw, '^{"v":(%d+),"d":')
    if not have then return redis.error_reply('ERR commit: ' .. key .. ' is not a versioned document') end
  end
  if have ~= ARGV[a + i] then return {0, key, have} end
end
k = k + n[1]
a = a + n[1]

for i = 1, n[2] do
  redis.call('SET', KEYS[k + i], '{"v":' .. ARGV[a + 2 * i - 1] .. ',"d":' .. ARGV[a + 2 * i] .. '}')
end
k = k + n[2]
a = a + 2 * n[2]

for i = 1, n[3] do
  redis.call('DEL', KEYS[k + i])
end
k = k + n[3]

for i = 1, n[4] do
  redis.call('ZADD', KEYS[k + i], ARGV[a + 2 * i - 1], ARGV[a + 2 * i])
end
k = k + n[4]
a = a + 2 * n[4]

for i = 1, n[5] do
  redis.call('ZREM', KEYS[k + i], ARGV[a + i])
end
k = k + n[5]
a = a + n[5]

for i = 1, n[6] do
  redis.call('SADD', KEYS[k + i], ARGV[a + i])
end
k = k + n[6]
a = a + n[6]

for i = 1, n[7] do
  redis.call('SREM', KEYS[k + i], ARGV[a + i])
end
k = k + n[7]
a = a + n[7]

if n[8] > 0 then
  local seq = redis.call('HINCRBY', KEYS[k + 1], 'seq', 1)
  -- A new counter (first use, or the data was lost) gets a new epoch, so a reader whose copy
  -- predates it reloads everything instead of trusting counts that started again.
  if seq == 1 then redis.call('HSET', KEYS[k + 1], 'epoch', ARGV[a + n[8] + 1]) end
  for i = 1, n[8] do
    redis.call('ZADD', KEYS[k + 2], seq, ARGV[a + i])
  end
end

return 1
