import { databaseUnavailable } from '../errors/api-errors.js'
import type { DatabaseCallObserver } from '../metrics/auth-events.js'

const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE', 'EAI_AGAIN'])
// SQLSTATE classes: 08 connection exception, 53 insufficient resources, 57P admin shutdown / crash.
const UNAVAILABLE_SQLSTATE = /^(08|53|57P)/
const UNAVAILABLE_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/

function isUnavailable (error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && (NETWORK_ERROR_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true
  return UNAVAILABLE_MESSAGE.test(error.message)
}

// Set by the metrics plugin (METRICS=on) for the whole process.
let observer: DatabaseCallObserver | undefined

// Returns the way to stop, which leaves a newer observer in place.
export function observeDatabaseCalls (callObserver: DatabaseCallObserver): () => void {
  observer = callObserver
  return () => {
    if (observer === callObserver) observer = undefined
  }
}

// A database that cannot be reached answers 503 "1503"; constraint violations and bugs keep their error.
export async function callDatabase<T> (call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    if (!isUnavailable(error)) throw error
    observer?.databaseUnavailable()
    throw databaseUnavailable(error)
  }
}
