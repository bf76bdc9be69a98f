--[[
  Marks a problem running unless it already has an outcome, and advances the queue's event cursor
  in the same step.

  Input:
    KEYS[1] batch record hash
    KEYS[2] results hash (index -> item JSON)
    KEYS[3] active set (indexes running now)
    KEYS[4] queue event cursor

    ARGV[1] index
    ARGV[2] event id to store in the cursor
    ARGV[3] TTL of the cursor (seconds)

  Output:
    0 unknown batch, or the problem already has an outcome
    1 marked running
]]
redis.call('SET', KEYS[4], ARGV[2], 'EX', ARGV[3])
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
redis.call('SADD', KEYS[3], ARGV[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl > 0 and redis.call('TTL', KEYS[3]) < 0 then redis.call('EXPIRE', KEYS[3], ttl) end
return 1
