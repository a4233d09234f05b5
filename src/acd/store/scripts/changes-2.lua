-- changes-2.lua: a change feed's position, the ids written or deleted since a count, and the
-- documents of those ids, in one round trip and one consistent view (an in-memory copy's refresh,
-- acd-store.ts FeedCopy).
--
-- The documents are read by key prefix, so their keys are not in KEYS: the ids are only known once
-- the feed is read. Switchboard runs on a standalone Redis (its MULTIs and commits span families).
--
-- KEYS = feed hash (seq, epoch, floor), feed's changed ZSET (id by count of its last change)
-- ARGV = count already seen, document key prefix, ids to fetch as well (copies marked stale)
-- Reply = { {seq, epoch, floor}, ids, documents aligned with ids (nil when deleted) }
local pos = redis.call('HMGET', KEYS[1], 'seq', 'epoch', 'floor')
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], '+inf')
for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
local docs = {}
for i = 1, #ids do docs[i] = redis.call('GET', ARGV[2] .. ids[i]) end
return { pos, ids, docs }
