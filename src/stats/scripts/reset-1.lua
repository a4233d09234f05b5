-- Starts a new generation of statistics (rebuild): counters of older generations are no longer read
-- or written, and the projector starts again from the beginning of the journal. A runner still
-- holding the old generation fails its compare-and-set and re-reads.
-- KEYS[1] cursor HASH {gen, id, n, state}
-- Returns the new generation.
local gen = redis.call('HINCRBY', KEYS[1], 'gen', 1)
redis.call('HSET', KEYS[1], 'id', '0-0', 'n', 0)
redis.call('HDEL', KEYS[1], 'state')
return gen
