import type { ChainableCommander } from 'ioredis'
import { sessionStoreUnavailable } from '../errors/api-errors.js'

// Replies that mean "Redis cannot serve right now" rather than "the script or command is wrong".
// Inside a script Redis before 7 wraps them: "ERR Error running script ... -READONLY ...".
const OUTAGE_REPLY_PATTERN = /(^|-)(LOADING|READONLY|MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN|OOM|NOREPLICAS|MISCONF)\b/

function isOutage (error: unknown): boolean {
  if (!(error instanceof Error)) return true
  // Anything that is not a server reply is a transport failure: closed stream, timeout, refused.
  if (error.name !== 'ReplyError') return true
  return OUTAGE_REPLY_PATTERN.test(error.message)
}

// Redis trouble must never look like "no session" (that would log every user out): a failed
// call becomes 503 "1503". Replies that reveal a bug stay as they are and end up as 500s.
export async function callRedis<T> (call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw isOutage(error) ? sessionStoreUnavailable(error) : error
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
