-- Takes a free lock and hands out the next fencing number.
-- KEYS[1] lock key, KEYS[2] fence counter (never expires); ARGV[1] "{token}|{owner}", ARGV[2] TTL in ms.
-- Returns the fencing number (>= 1), or 0 when the lock is held.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0
