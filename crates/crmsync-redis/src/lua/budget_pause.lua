-- Records a pause amoCRM asked for (a long 429), never shortening one already recorded.
-- KEYS[1]: the pause's end, milliseconds since the epoch.  ARGV[1]: the new end.  ARGV[2]: its TTL in ms.
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local wanted = tonumber(ARGV[1])
if wanted > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 0
