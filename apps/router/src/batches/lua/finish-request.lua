--[[
  A job of a batch finished ('completed', 'failed' or 'cancelled'). When its problem has a
  requestId: a completed result is stored for reuse and every waiting job is handed over to be
  answered from it; when the owner failed or was cancelled, the first waiting job becomes the owner
  and is handed over to be solved; a job that was only waiting stops waiting. One step, so no
  handover is lost between the owner's outcome and its waiters. A failed or cancelled owner nobody
  waits for frees the requestId.

  The requestId's keys are built here from ARGV[6] (`<prefix>:slm:`) and the batch's tenant: the
  requestId is only known inside the script (the queue events carry the job id alone); on a Redis
  Cluster they share the hash tag of the batch keys (see BatchKeys), so one slot.

  Input:
    KEYS[1] request-ids hash of the batch (index -> requestId, 'tenant')
    KEYS[2] handovers list

    ARGV[1] index
    ARGV[2] job id
    ARGV[3] outcome ('completed', 'failed' or 'cancelled')
    ARGV[4] result JSON ('' unless completed)
    ARGV[5] TTL (seconds)
    ARGV[6] key base (`<prefix>:slm:` or `{<prefix>:slm}:`)

  Output:
    the number of handovers queued
]]
local requestId, tenant = unpack(redis.call('HMGET', KEYS[1], ARGV[1], 'tenant'))
if not requestId or not tenant then return 0 end
local base = ARGV[6] .. 't:' .. tenant .. ':'
local solvedKey = base .. 'solved:' .. requestId
local solvingKey = base .. 'solving:' .. requestId
local waitingKey = base .. 'waiting:' .. requestId
local askedKey = base .. 'asked:' .. requestId
local owner = redis.call('GET', solvingKey)
local function handover(action, job)
  redis.call('RPUSH', KEYS[2], '{"action":"' .. action .. '","tenant":' .. cjson.encode(tenant) .. ',"requestId":' .. cjson.encode(requestId) .. ',"job":' .. job .. '}')
end
if ARGV[3] == 'completed' then
  redis.call('SET', solvedKey, ARGV[4], 'EX', ARGV[5])
  redis.call('EXPIRE', askedKey, ARGV[5])
  if owner == ARGV[2] then redis.call('DEL', solvingKey) end
  local jobs = redis.call('HVALS', waitingKey)
  for _, job in ipairs(jobs) do handover('answer', job) end
  redis.call('DEL', waitingKey)
  return #jobs
end
if owner ~= ARGV[2] then
  redis.call('HDEL', waitingKey, ARGV[2])
  return 0
end
local waiters = redis.call('HKEYS', waitingKey)
if #waiters == 0 then
  redis.call('DEL', solvingKey)
  if redis.call('EXISTS', solvedKey) == 0 then redis.call('DEL', askedKey) end
  return 0
end
table.sort(waiters)
local heir = waiters[1]
local job = redis.call('HGET', waitingKey, heir)
redis.call('HDEL', waitingKey, heir)
redis.call('SET', solvingKey, heir, 'EX', ARGV[5])
handover('solve', job)
return 1
