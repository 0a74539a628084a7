// The per-device-type cap of SESSION_DEVICE_RULES, decided inside the create script so that two
// concurrent logins on two phones of a user whose phones may hold one session leave exactly one.
// The devices index (a sorted set of `<deviceType>:<sessionId>` by login time, one per user) lists
// the sessions of capped types; the caller read it and declared the sessions of this type it
// found (their keys in KEYS, as no script makes a key name from an id it read). If the index has
// gained one since, the caller reads it again and retries: this step then had nothing to judge by.
// Ended sessions leave their entries behind; this drops those it meets.
export const DEVICE_CAP_FUNCTION = `
-- Replies 'stale' (a session of the type the caller did not declare), 'full' (refuse_new, and
-- the type's sessions are all live), or 'ok' and the ids of the sessions it ended ('replaced').
local function applyDeviceCap (devicesKey, indexKey, deviceMemberPrefix, maxOfType, refuseNew, declared, fallbackTtlMs)
  local declaredKeys = {}
  for _, session in ipairs(declared) do declaredKeys[session.id] = session end
  local live = {}
  for _, member in ipairs(redis.call('ZRANGE', devicesKey, 0, -1)) do
    if string.sub(member, 1, #deviceMemberPrefix) == deviceMemberPrefix then
      local session = declaredKeys[string.sub(member, #deviceMemberPrefix + 1)]
      if not session then return 'stale', {} end
      if redis.call('EXISTS', session.sessionKey) == 0 then
        redis.call('ZREM', devicesKey, member)
      else
        live[#live + 1] = {member, session}
      end
    end
  end
  local excess = #live - maxOfType + 1
  if excess <= 0 then return 'ok', {} end
  if refuseNew then return 'full', {} end
  local replaced = {}
  -- Oldest first: ZRANGE lists them by login time.
  for i = 1, excess do
    local member, session = unpack(live[i])
    endSession(session.sessionKey, session.tombstoneKey, 'replaced', fallbackTtlMs)
    redis.call('ZREM', indexKey, session.id)
    redis.call('ZREM', devicesKey, member)
    replaced[#replaced + 1] = session.id
  end
  return 'ok', replaced
end
`
