"""The Lua scripts of ``RedisRateLimiter``: book, grant and pause, atomic on the server.

KEYS: bookings, grants, pause end, meta (all under one hash tag: one Cluster slot).
ARGV: member, max wait (us, -1 = any), the configuration, the caller's last seen grant
number and grant time, what to do when the state was lost ("wait" | "reset"), then
(max_messages, window us) per limit.

Replies: ``{status, wait_us, granted_at_us, seq, last_grant_us, lost | stored config}``;
status 1 granted, 2 booked (sleep ``wait`` then run GRANT), 0 refused (nothing kept),
3 the key holds another configuration (the sixth field says which).

The meta hash keeps the configuration (two limiters with different windows on one key
would trim each other's log), a grant counter ``seq`` and the newest grant's time. A caller
that saw grant ``seq = 40`` at a time still inside the longest window, and now finds a
smaller ``seq``, knows the state was lost (a restart without persistence, a failover to a
replica that had not caught up): the grants of the last window are unknown, so nothing is
granted for one full window from then (or, with "reset", the loss is accepted).
"""

from __future__ import annotations

from apiclient._redis.scripts import Script

_PRELUDE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local meta = redis.call('HMGET', KEYS[4], 'config', 'seq', 'last')
local seq, last = tonumber(meta[2] or '0'), tonumber(meta[3] or '0')
if meta[1] and meta[1] ~= ARGV[3] then return {3, 0, 0, seq, last, meta[1]} end
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
local longest = 0
for i = 7, #ARGV, 2 do longest = math.max(longest, tonumber(ARGV[i + 1])) end
local ttl = math.ceil(longest / 1000) + 1000
local lost = 0
local function fmt(us) return string.format('%.0f', us) end
if seq < tonumber(ARGV[4]) and tonumber(ARGV[5]) + longest > now then
  lost, seq, last = 1, tonumber(ARGV[4]), now
  if ARGV[6] == 'wait' and now + longest > paused then
    paused = now + longest
    redis.call('SET', KEYS[3], fmt(paused), 'PX', ttl)
  end
  redis.call('HSET', KEYS[4], 'config', ARGV[3], 'seq', seq, 'last', fmt(last))
  redis.call('PEXPIRE', KEYS[4], ttl)
end
local function earliest(log, start)
  for i = 7, #ARGV, 2 do
    local limit, window = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
    local nth = redis.call('ZRANGE', log, -limit, -limit, 'WITHSCORES')
    if nth[2] then start = math.max(start, tonumber(nth[2]) + window) end
  end
  return start
end
local function grant()
  local ready = earliest(KEYS[2], paused)
  if ready > now then return {2, ready - now, 0, seq, last, lost} end
  redis.call('ZADD', KEYS[2], now, ARGV[1])
  redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])  -- later bookings start from the real grant
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - longest)
  redis.call('PEXPIRE', KEYS[2], ttl)
  seq = seq + 1
  redis.call('HSET', KEYS[4], 'config', ARGV[3], 'seq', seq, 'last', fmt(now))
  redis.call('PEXPIRE', KEYS[4], ttl)
  return {1, 0, now, seq, now, lost}
end
"""

BOOK = Script(
    _PRELUDE
    + """
local turn = math.max(now, paused)
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if newest[2] then turn = math.max(turn, tonumber(newest[2])) end
turn = earliest(KEYS[1], turn)
local wait = turn - now
if tonumber(ARGV[2]) >= 0 and wait > tonumber(ARGV[2]) then return {0, wait, 0, seq, last, lost} end
redis.call('ZADD', KEYS[1], turn, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
redis.call('PEXPIRE', KEYS[1], math.ceil((wait + longest) / 1000) + 1000)
if wait > 0 then return {2, wait, 0, seq, last, lost} end
return grant()
"""
)

# A pause may have moved the grant past what the caller accepts (ARGV[2], -1 = any): it
# then gives its booking back and is refused.
GRANT = Script(
    _PRELUDE
    + """
local ready = earliest(KEYS[2], paused)
local budget = tonumber(ARGV[2])
if budget >= 0 and ready - now > budget then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return {0, ready - now, 0, seq, last, lost}
end
return grant()
"""
)

# KEYS: pause end. ARGV: seconds (us). A pause only ever extends.
PAUSE = Script(
    """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local till = now + tonumber(ARGV[1])
if till > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], string.format('%.0f', till), 'PX', math.ceil(ARGV[1] / 1000) + 1000)
end
return 1
"""
)
