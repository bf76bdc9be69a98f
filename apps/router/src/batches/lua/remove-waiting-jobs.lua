--[[
  Removes waiting jobs from a queue in one step: those in its prioritized or delayed set (every
  batch job has a priority, so that is where waiting ones are) are taken out and their hashes
  deleted, as BullMQ's own removeJob does one job at a time (some 50 µs each: seconds for a big
  batch, while workers keep taking its jobs).

  Input:
    KEYS[1] the queue's prioritized set
    KEYS[2] the queue's delayed set

    ARGV[1] the queue's job key prefix
    ARGV[2..] job ids

  Output:
    the ids that still wait elsewhere (neither finished nor running under a lock: a rare wait-list
    entry); the caller hands those to Queue.remove, which knows every state
]]
local removed = {}
local gone = {}
for _, set in ipairs({ KEYS[1], KEYS[2] }) do
  local scores = redis.call('ZMSCORE', set, unpack(ARGV, 2))
  local present = {}
  for i, score in ipairs(scores) do
    local id = ARGV[i + 1]
    if score and not removed[id] then
      present[#present + 1] = id
      removed[id] = true
      gone[#gone + 1] = ARGV[1] .. id
      gone[#gone + 1] = ARGV[1] .. id .. ':logs'
    end
  end
  if #present > 0 then redis.call('ZREM', set, unpack(present)) end
end
if #gone > 0 then redis.call('DEL', unpack(gone)) end
local elsewhere = {}
for i = 2, #ARGV do
  local key = ARGV[1] .. ARGV[i]
  if not removed[ARGV[i]] and redis.call('EXISTS', key) == 1 and redis.call('HEXISTS', key, 'finishedOn') == 0 and redis.call('EXISTS', key .. ':lock') == 0 then
    elsewhere[#elsewhere + 1] = ARGV[i]
  end
end
return elsewhere
