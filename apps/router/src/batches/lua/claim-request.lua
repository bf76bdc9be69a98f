--[[
  Claims a tenant's requestId for a job: a conflict when the requestId names another problem
  (its fingerprint differs), else its earlier result, or ownership when nobody is solving it (or
  this job already owns it: a resumed submission), else the job waits for the owner.

  Input:
    KEYS[1] solved: the completed Result of the requestId
    KEYS[2] solving: the job id that owns the requestId
    KEYS[3] waiting: job id -> job JSON of the jobs waiting for the owner
    KEYS[4] request-ids hash of the batch (index -> requestId, 'tenant')
    KEYS[5] asked: the fingerprint of the problem the requestId names

    ARGV[1] job id
    ARGV[2] job JSON
    ARGV[3] TTL (seconds)
    ARGV[4] index
    ARGV[5] requestId
    ARGV[6] tenant
    ARGV[7] fingerprint of the problem

  Output:
    {'conflict'} | {'solved', result JSON} | {'owner'} | {'waiting'}
]]
local asked = redis.call('GET', KEYS[5])
if asked and asked ~= ARGV[7] then return {'conflict'} end
if not asked then redis.call('SET', KEYS[5], ARGV[7], 'EX', ARGV[3]) end
local solved = redis.call('GET', KEYS[1])
if solved then return {'solved', solved} end
redis.call('HSET', KEYS[4], ARGV[4], ARGV[5], 'tenant', ARGV[6])
if redis.call('TTL', KEYS[4]) < 0 then redis.call('EXPIRE', KEYS[4], ARGV[3]) end
local owner = redis.call('GET', KEYS[2])
if not owner or owner == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[3])
  return {'owner'}
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[3], ARGV[3])
return {'waiting'}
