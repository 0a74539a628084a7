import { deviceLabel } from '../src/sessions/device-label.js'
import { INDEX_TTL_SLACK_MS, sessionHashFields } from '../src/sessions/redis-session-store.js'
import { SESSION_FIELDS } from '../src/sessions/session-fields.js'
import { sessionKeys } from '../src/sessions/session-keys.js'
import { RawPipeline } from './raw-pipeline.js'
import { BROWSER_USER_AGENT, SESSIONS_PER_USER, SESSION_TTL_MS, realisticBrowserSession } from './session-records.js'

// Puts many browser sessions into Redis quickly: the same records the store writes (hash with
// TTL, "last seen", an entry in the user's index, the index's TTL), pipelined in batches instead
// of one Lua script per login. Small batches: large ones cost this process more in garbage collection
// than they save in round trips.

export interface FillOptions {
  keyPrefix: string
  // Users are numbered from here, so they never share an index with real bench users.
  firstUserId: number
  batchSize: number
}

export interface FillProgress {
  // How many sessions this filler has written so far; the next user id follows from it.
  written: number
}

export async function fillSessions (redisUrl: string, count: number, options: FillOptions, progress: FillProgress): Promise<void> {
  const keys = sessionKeys(options.keyPrefix)
  const ttl = String(SESSION_TTL_MS)
  const indexTtl = String(SESSION_TTL_MS + INDEX_TTL_SLACK_MS)
  const end = progress.written + count
  const label = deviceLabel(BROWSER_USER_AGENT)
  const pipeline = await RawPipeline.open(redisUrl)
  // One batch in flight while the next is built, so Redis and this process work at once.
  let inFlight: Promise<void> = Promise.resolve()
  try {
    for (let batchStart = progress.written; batchStart < end; batchStart += options.batchSize) {
      const batchEnd = Math.min(end, batchStart + options.batchSize)
      const commands: string[][] = []
      const now = Date.now()
      for (let n = batchStart; n < batchEnd; n++) {
        const session = realisticBrowserSession(options.firstUserId + Math.floor(n / SESSIONS_PER_USER), now, label)
        const sessionKey = keys.session(session.userId, session.sessionId)
        const indexKey = keys.index(session.userId)
        commands.push(
          ['HSET', sessionKey, ...sessionHashFields(session), SESSION_FIELDS.lastSeenAfterLogin, String(session.lastSeenAt - session.loginAt)],
          ['PEXPIRE', sessionKey, ttl],
          ['ZADD', indexKey, String(session.loginAt), session.sessionId]
        )
        if ((n + 1) % SESSIONS_PER_USER === 0 || n + 1 === end) commands.push(['PEXPIRE', indexKey, indexTtl])
      }
      const sent = pipeline.send(commands).then(() => { progress.written = batchEnd })
      // Handled here so a failure is not "unhandled" while the previous batch is awaited; it
      // is still thrown when this batch's turn comes.
      sent.catch(() => undefined)
      await inFlight
      inFlight = sent
    }
    await inFlight
  } finally {
    pipeline.close()
  }
}
