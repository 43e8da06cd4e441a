-- Writes a value only if the key holds the expected one.
-- KEYS[1] key; ARGV[1] "absent" or "equals", ARGV[2] expected value, ARGV[3] new value, ARGV[4] TTL in ms or "".
-- Returns 1 when written, 0 otherwise.
local current = redis.call('GET', KEYS[1])
if ARGV[1] == 'absent' then
  if current then
    return 0
  end
elseif current ~= ARGV[2] then
  return 0
end
if ARGV[4] == '' then
  redis.call('SET', KEYS[1], ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
end
return 1
