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
--         | agent feed: hash, changed, gone (when AW + AD > 0)
--         | entry feed: hash, changed, gone (when EW + ED > 0)
-- ARGV  = E, P, D, ZA, ZR, SA, SR, AW, AD, EW, ED,
--         E expected versions ("0" = must not exist),
--         P pairs (new version, json of the document),
--         ZA pairs (score, member), ZR members, SA members, SR members,
--         for each feed in use: its written ids, its deleted ids, a new epoch token
-- Writes apply in that order: put, del, zadd, zrem, sadd, srem, change feeds.
--
-- A change feed lets a reader keep a family of documents (agents, queue entries) in memory and
-- fetch only what changed: the feed's counter (hash field seq) is incremented once per applied
-- transaction that writes the family, and each written or deleted id is scored with the new
-- count in the changed ZSET (one member per id). Deleted ids are also kept in the gone ZSET; when
-- it grows past GONE_MAX the oldest GONE_TRIM leave both sets and the hash field floor records
-- the highest count dropped: a reader whose copy is older than that reads everything again. A
-- counter created anew (first use, or the data was lost) gets a new epoch, so a reader whose copy
-- predates it reloads everything instead of trusting counts that started again.
local GONE_MAX, GONE_TRIM = 4096, 1024

local n = {}
for i = 1, 11 do n[i] = tonumber(ARGV[i]) end
local k, a = 0, 11

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

local function feed(written, deleted)
  local hash, changed, gone = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  local seq = redis.call('HINCRBY', hash, 'seq', 1)
  if seq == 1 then redis.call('HSET', hash, 'epoch', ARGV[a + written + deleted + 1]) end
  for i = 1, written + deleted do
    redis.call('ZADD', changed, seq, ARGV[a + i])
  end
  for i = written + 1, written + deleted do
    redis.call('ZADD', gone, seq, ARGV[a + i])
  end
  if deleted > 0 and redis.call('ZCARD', gone) > GONE_MAX then
    local old = redis.call('ZPOPMIN', gone, GONE_TRIM)
    for i = 1, #old, 2 do
      -- Only if not written again since: a live id stays in the changed set.
      if redis.call('ZSCORE', changed, old[i]) == old[i + 1] then redis.call('ZREM', changed, old[i]) end
    end
    redis.call('HSET', hash, 'floor', old[#old])
  end
  k = k + 3
  a = a + written + deleted + 1
end

if n[8] + n[9] > 0 then feed(n[8], n[9]) end
if n[10] + n[11] > 0 then feed(n[10], n[11]) end

return 1
