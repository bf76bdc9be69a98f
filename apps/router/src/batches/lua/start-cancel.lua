--[[
  Starts a cancel in one step: a running batch of the tenant becomes cancelled and the workers are
  told on the cancel channel (they stop its running jobs and skip any they take afterwards).
  A record without a tenant (written before tenants existed) is ARGV[4]'s.

  Input:
    KEYS[1] batch record hash

    ARGV[1] cancel channel
    ARGV[2] batch id (the message)
    ARGV[3] tenant asking
    ARGV[4] tenant of a record without one

  Output:
    nil for an unknown batch or another tenant's, else { state found, total }
]]
local state, total, tenant = unpack(redis.call('HMGET', KEYS[1], 'state', 'total', 'tenant'))
if not total or (tenant or ARGV[4]) ~= ARGV[3] then return nil end
if state == 'running' then
  redis.call('HSET', KEYS[1], 'state', 'cancelled')
  redis.call('PUBLISH', ARGV[1], ARGV[2])
end
return { state, total }
