import type { ChainableCommander } from 'ioredis'
import { sessionStoreUnavailable } from '../errors/api-errors.js'
import type { RedisCallObserver } from '../metrics/auth-events.js'

// Replies that mean "Redis cannot serve right now" rather than "the script or command is wrong".
// Inside a script Redis before 7 wraps them: "ERR Error running script ... -READONLY ...".
const OUTAGE_REPLY_PATTERN = /(^|-)(LOADING|READONLY|MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN|OOM|NOREPLICAS|MISCONF)\b/

function isOutage (error: unknown): boolean {
  if (!(error instanceof Error)) return true
  // Anything that is not a server reply is a transport failure: closed stream, timeout, refused.
  if (error.name !== 'ReplyError') return true
  return OUTAGE_REPLY_PATTERN.test(error.message)
}

// Set by the metrics plugin (METRICS=on) for the whole process; unset, a call is not timed.
let observer: RedisCallObserver | undefined

// Returns the way to stop, which leaves a newer observer in place.
export function observeRedisCalls (callObserver: RedisCallObserver): () => void {
  observer = callObserver
  return () => {
    if (observer === callObserver) observer = undefined
  }
}

const MS_PER_SECOND = 1000

// Redis trouble must never look like "no session" (that would log every user out): a failed
// call becomes 503 "1503". Replies that reveal a bug stay as they are and end up as 500s.
export async function callRedis<T> (call: () => Promise<T>): Promise<T> {
  const watching = observer
  const startedMs = watching === undefined ? 0 : performance.now()
  try {
    const result = await call()
    watching?.redisCallEnded((performance.now() - startedMs) / MS_PER_SECOND)
    return result
  } catch (error) {
    const outage = isOutage(error)
    watching?.redisCallEnded((performance.now() - startedMs) / MS_PER_SECOND, outage ? 'unavailable' : 'reply')
    throw outage ? sessionStoreUnavailable(error) : error
  }
}

// Runs a pipeline and returns its replies; the first failed command fails the whole call.
export async function execPipeline (pipeline: ChainableCommander): Promise<unknown[]> {
  return await callRedis(async () => {
    const replies = (await pipeline.exec()) ?? []
    return replies.map(([error, value]) => {
      if (error) throw error
      return value
    })
  })
}
