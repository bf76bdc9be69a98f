--[[
  Cancels the unfinished problems of a batch from ARGV[1] up to ARGV[2] (exclusive) in one step:
  each gets its cancelled item (HSETNX: an outcome already recorded stands), leaves the running
  set, and is counted, per domain too (the domain letters of KEYS[4]).

  Input:
    KEYS[1] batch record hash
    KEYS[2] results hash (index -> item JSON)
    KEYS[3] active set
    KEYS[4] domain letters (one character per problem: m, c, s)
    KEYS[5] request-ids hash of the batch (index -> caller's requestId)

    ARGV[1] first index
    ARGV[2] end index (exclusive)
    ARGV[3] the item's JSON before its index
    ARGV[4] the item's JSON after its index

  Output:
    the indexes newly cancelled that carry a caller's requestId (their problems pass to waiting batches)
]]
local first, last = tonumber(ARGV[1]), tonumber(ARGV[2]) - 1
local letters = redis.call('GETRANGE', KEYS[4], first, last)
local names = { m = 'math', c = 'code', s = 'science' }
local perDomain = {}
local cancelled = 0
local withRequestId = {}
for i = first, last do
  local index = tostring(i)
  if redis.call('HSETNX', KEYS[2], index, ARGV[3] .. index .. ARGV[4]) == 1 then
    cancelled = cancelled + 1
    redis.call('SREM', KEYS[3], index)
    local domain = names[string.sub(letters, i - first + 1, i - first + 1)] or 'other'
    perDomain[domain] = (perDomain[domain] or 0) + 1
    if redis.call('HEXISTS', KEYS[5], index) == 1 then withRequestId[#withRequestId + 1] = index end
  end
end
if cancelled > 0 then
  redis.call('HINCRBY', KEYS[1], 'cancelled', cancelled)
  for domain, count in pairs(perDomain) do redis.call('HINCRBY', KEYS[1], domain .. ':cancelled', count) end
  local ttl = redis.call('TTL', KEYS[1])
  if ttl > 0 and redis.call('TTL', KEYS[2]) < 0 then redis.call('EXPIRE', KEYS[2], ttl) end
end
return withRequestId
