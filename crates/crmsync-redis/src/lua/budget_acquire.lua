-- GCRA reservation of one request slot shared by every process of an amoCRM account.
-- KEYS[1]: the budget's theoretical arrival time (microseconds since the epoch, server clock).
-- ARGV[1]: the interval between two requests, in microseconds.
-- ARGV[2]: how many requests may go out back to back (burst, at least 1).
-- Returns the microseconds the caller must wait before sending (0: now). The slot is taken either way.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then
  tat = now
end
local allowed_at = tat - interval * (burst - 1)
local wait = 0
if allowed_at > now then
  wait = allowed_at - now
end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.floor((next_tat - now) / 1000) + 1000)
return wait
