import { END_SESSION_FUNCTION } from './end-session-lua.js'

// Idle sessions vanish without telling the index. This drops their entries and, beyond the
// cap, ends the oldest live sessions (reason 'evicted'), looking at no more than
// `indexScanLimit` of the oldest entries, so one call never does work that grows with a user's
// session count. Returns the entries still over the cap (a later call goes on) and the evicted
// session ids. The session and tombstone keys it builds from the prefixes carry the user's hash
// tag, so they live in the same cluster slot as the index.
export const TRIM_INDEX_FUNCTION = `${END_SESSION_FUNCTION}
local function trimIndex (indexKey, sessionPrefix, tombstonePrefix, maxSessions, indexScanLimit, keep, fallbackTtlMs)
  local live = {}
  for _, id in ipairs(redis.call('ZRANGE', indexKey, 0, indexScanLimit - 1)) do
    if redis.call('EXISTS', sessionPrefix .. id) == 0 then
      redis.call('ZREM', indexKey, id)
    elseif id ~= keep then
      live[#live + 1] = id
    end
  end
  local evicted = {}
  if maxSessions == 0 then return 0, evicted end
  local excess = redis.call('ZCARD', indexKey) - maxSessions
  for i = 1, math.min(excess, #live) do
    local id = live[i]
    endSession(sessionPrefix .. id, tombstonePrefix .. id, 'evicted', fallbackTtlMs)
    redis.call('ZREM', indexKey, id)
    evicted[#evicted + 1] = id
  end
  return math.max(0, excess - #evicted), evicted
end
`
