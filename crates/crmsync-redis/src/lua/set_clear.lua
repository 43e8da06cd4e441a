-- Deletes a set and its arrival counter. KEYS[1] sorted set, KEYS[2] counter. Returns the member count.
local count = redis.call('ZCARD', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2])
return count
