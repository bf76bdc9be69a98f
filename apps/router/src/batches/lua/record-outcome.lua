--[[
  Records one problem's outcome exactly once and keeps the batch's counters in step; marks the
  batch completed when every problem has an outcome. Optionally advances a queue's event cursor in
  the same step, so the cursor never passes an unrecorded outcome.

  A result kept under a caller's requestId (the solved key that finish-request.lua or an earlier
  batch wrote) is stored once: the results hash holds `@<requestId>` in place of the item, and the
  solved key is kept at least as long as the results hash.

  Input:
    KEYS[1] batch record hash ('state', 'total', counters)
    KEYS[2] results hash (index -> item JSON)
    KEYS[3] active set (indexes running now)
    KEYS[4] queue event cursor (only written when ARGV[5] is not empty)

    ARGV[1] index
    ARGV[2] item JSON
    ARGV[3] counter field ('completed', 'failed' or 'cancelled')
    ARGV[4] per-domain counter field ('<domain>:<counter>')
    ARGV[5] event id to store in the cursor ('' for none)
    ARGV[6] TTL of the cursor (seconds)
    ARGV[7] the caller's requestId the result is kept under ('' for none)
    ARGV[8] key base (`<prefix>:slm:` or `{<prefix>:slm}:`): the solved key is built from it, the
            batch's tenant and ARGV[7] (one slot on a Redis Cluster, see BatchKeys)

  Output:
    -1 unknown batch
     0 an outcome was already recorded (this one is ignored)
     1 recorded
]]
if KEYS[4] and ARGV[5] ~= '' then redis.call('SET', KEYS[4], ARGV[5], 'EX', ARGV[6]) end
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
local ttl = redis.call('TTL', KEYS[1])
local item = ARGV[2]
local tenant = ARGV[7] ~= '' and redis.call('HGET', KEYS[1], 'tenant')
if tenant then
  local solvedKey = ARGV[8] .. 't:' .. tenant .. ':solved:' .. ARGV[7]
  local solvedTtl = redis.call('TTL', solvedKey)
  if solvedTtl ~= -2 then
    item = '@' .. ARGV[7]
    if solvedTtl >= 0 and ttl > solvedTtl then redis.call('EXPIRE', solvedKey, ttl) end
  end
end
redis.call('HSET', KEYS[2], ARGV[1], item)
if ttl > 0 and redis.call('TTL', KEYS[2]) < 0 then redis.call('EXPIRE', KEYS[2], ttl) end
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('HINCRBY', KEYS[1], ARGV[3], 1)
redis.call('HINCRBY', KEYS[1], ARGV[4], 1)
local done = tonumber(redis.call('HGET', KEYS[1], 'completed') or '0') + tonumber(redis.call('HGET', KEYS[1], 'failed') or '0') + tonumber(redis.call('HGET', KEYS[1], 'cancelled') or '0')
if done >= tonumber(redis.call('HGET', KEYS[1], 'total')) and redis.call('HGET', KEYS[1], 'state') == 'running' then redis.call('HSET', KEYS[1], 'state', 'completed') end
return 1
