-- Removes members; drops the arrival counter once the set is empty.
-- KEYS[1] sorted set, KEYS[2] the set's arrival counter; ARGV members. Returns how many were present.
local removed = redis.call('ZREM', KEYS[1], unpack(ARGV))
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2])
end
return removed
