-- Appends new members to an ordered set; members already present keep their position.
-- KEYS[1] sorted set (score = arrival number), KEYS[2] the set's arrival counter; ARGV members.
-- Returns how many members were new.
if redis.call('EXISTS', KEYS[2]) == 0 then
  -- The counter is gone (evicted or deleted by hand): continue after the last member.
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  if last[2] then
    redis.call('SET', KEYS[2], last[2])
  end
end
local added = 0
for i = 1, #ARGV do
  if not redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], 'NX', redis.call('INCR', KEYS[2]), ARGV[i])
    added = added + 1
  end
end
return added
