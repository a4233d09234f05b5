-- Ends a monitoring session: its document, its claim on the supervisor's phone (only while the
-- phone is still claimed by this session), and its place in the indexes, in one step.
-- KEYS[1] session document, KEYS[2] phone claim, KEYS[3] the call's sessions, KEYS[4] all sessions
-- ARGV[1] session id
-- Returns 1 when the session existed (the caller announces its end), 0 when it was gone already.
local existed = redis.call('DEL', KEYS[1])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('SREM', KEYS[4], ARGV[1])
return existed
