"""The Lua scripts of ``RedisRateLimiter``: book, grant and pause, atomic on the server.

STEP runs a list of requests in one round trip, so that a process's caller taking its grant
also books the turns of the callers of that process waiting behind it. KEYS: bookings,
grants, pause end, meta (one hash tag: one Cluster slot). ARGV: the configuration, the
caller's newest seen grant number and time, what to do when the state was lost ("wait" |
"reset"), the number of limits L, L pairs (max_messages, window us), then one triple per
request: op ("b" book, "g" take a booked grant), member, max wait (us, -1 = any).

Reply: ``{1, seq, last_grant_us, lost, then status, wait_us, granted_at_us per request}``;
a status is 1 granted, 2 booked (sleep ``wait`` then "g"), 0 refused (nothing kept). ``{3,
seq, last, stored configuration}`` when the key holds another configuration.

The meta hash keeps the configuration (two limiters with different windows on one key
would trim each other's log), a grant counter ``seq`` and the newest grant's time. A caller
that saw grant ``seq = 40`` at a time still inside the longest window, and now finds a
smaller ``seq``, knows the state was lost (a restart without persistence, a failover to a
replica that had not caught up): the grants of the last window are unknown, so nothing is
granted for one full window from then (or, with "reset", the loss is accepted).

It also keeps ``late``: how far past their booked turn recent grants were taken (a decaying
maximum, at most 5 ms and 5% of the shortest window). A turn booked behind grants not yet
taken is pushed back by that much, so that its caller, waking, finds its grant ready and takes it in
one round trip instead of being told to wait a little more.
"""

from __future__ import annotations

from apiclient._redis.scripts import Script

STEP = Script(
    """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local meta = redis.call('HMGET', KEYS[4], 'config', 'seq', 'last', 'late')
local seq, last = tonumber(meta[2] or '0'), tonumber(meta[3] or '0')
local late = tonumber(meta[5] or '0')
if meta[1] and meta[1] ~= ARGV[1] then return {3, seq, last, meta[1]} end
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
local first_limit, last_limit = 6, 5 + 2 * tonumber(ARGV[5])
local longest = 0
for i = first_limit, last_limit, 2 do longest = math.max(longest, tonumber(ARGV[i + 1])) end
local ttl = math.ceil(longest / 1000) + 1000
local shortest = longest
for i = first_limit, last_limit, 2 do shortest = math.min(shortest, tonumber(ARGV[i + 1])) end
local lost = 0
local function fmt(us) return string.format('%.0f', us) end
if seq < tonumber(ARGV[2]) and tonumber(ARGV[3]) + longest > now then
  lost, seq, last = 1, tonumber(ARGV[2]), now
  if ARGV[4] == 'wait' and now + longest > paused then
    paused = now + longest
    redis.call('SET', KEYS[3], fmt(paused), 'PX', ttl)
  end
  redis.call('HSET', KEYS[4], 'config', ARGV[1], 'seq', seq, 'last', fmt(last))
  redis.call('PEXPIRE', KEYS[4], ttl)
end
local function earliest(log, start)
  for i = first_limit, last_limit, 2 do
    local limit, window = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
    local nth = redis.call('ZRANGE', log, -limit, -limit, 'WITHSCORES')
    if nth[2] then start = math.max(start, tonumber(nth[2]) + window) end
  end
  return start
end
local function grant(member)
  local ready = earliest(KEYS[2], paused)
  if ready > now then return 2, ready - now, 0 end
  local booked = tonumber(redis.call('ZSCORE', KEYS[1], member) or now)
  late = math.min(math.max(now - booked, late - late / 4), shortest / 20, 5000)
  redis.call('ZADD', KEYS[2], now, member)
  redis.call('ZADD', KEYS[1], 'XX', now, member)  -- later bookings start from the real grant
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - longest)
  redis.call('PEXPIRE', KEYS[2], ttl)
  seq, last = seq + 1, now
  redis.call('HSET', KEYS[4], 'config', ARGV[1], 'seq', seq, 'last', fmt(now), 'late', fmt(late))
  redis.call('PEXPIRE', KEYS[4], ttl)
  return 1, 0, now
end
local function book(member, max_wait)
  local turn = math.max(now, paused)
  local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  if newest[2] then turn = math.max(turn, tonumber(newest[2])) end
  turn = earliest(KEYS[1], turn)
  if turn > now then turn = turn + late end  -- the grants before it are as late as recent ones
  local wait = turn - now
  if max_wait >= 0 and wait > max_wait then return 0, wait, 0 end
  redis.call('ZADD', KEYS[1], turn, member)
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
  redis.call('PEXPIRE', KEYS[1], math.ceil((wait + longest) / 1000) + 1000)
  if wait > 0 then return 2, wait, 0 end
  return grant(member)
end
-- A pause may have moved the grant past what the caller accepts: it then gives its
-- booking back and is refused.
local function take(member, budget)
  local ready = earliest(KEYS[2], paused)
  if budget >= 0 and ready - now > budget then
    redis.call('ZREM', KEYS[1], member)
    return 0, ready - now, 0
  end
  return grant(member)
end
local out = {1, 0, 0, 0}
for r = last_limit + 1, #ARGV, 3 do
  local op, member, limit = ARGV[r], ARGV[r + 1], tonumber(ARGV[r + 2])
  local status, wait, at
  if op == 'b' then
    status, wait, at = book(member, limit)
  else
    status, wait, at = take(member, limit)
  end
  local n = #out
  out[n + 1], out[n + 2], out[n + 3] = status, wait, at
end
out[2], out[3], out[4] = seq, last, lost
return out
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
