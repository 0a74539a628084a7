import type { Env } from '../src/config/config-schema.js'
import { eventSigningKey } from '../src/events/event-signature.js'
import { EventStream } from '../src/events/event-stream.js'
import { SessionEventObserver } from '../src/events/session-event-observer.js'
import { sessionEvent, type SessionEvent, type SessionEventFields, type SessionEventType } from '../src/events/session-event.js'
import type { AuthEvents } from '../src/metrics/auth-events.js'
import type { RedisClient } from '../src/redis/redis-client.js'

// The actor of everything the admin CLI does: an operator at a shell, whom the server cannot name.
export const CLI_ACTOR = 'cli'

// The session events of the admin CLI, to the targets the server's configuration names: the audit
// log (AUDIT_LOG=on: one JSON line per event on stderr, `logger: "audit"`, as the server's audit
// lines carry it; stdout stays for what the command prints) and EVENTS_STREAM, from which the
// running server's webhook delivers them like its own: signed with the key the server derives from
// EVENTS_WEBHOOK_SECRET, since the webhook posts only entries that verify. Made by the one `sessionEvent`, actor "cli".
export class CliEvents {
  private stream: EventStream | undefined
  private readonly failures: unknown[] = []

  constructor (private readonly env: Pick<Env, 'AUDIT_LOG' | 'EVENTS_STREAM' | 'EVENTS_STREAM_MAXLEN' | 'EVENTS_WEBHOOK_SECRET' | 'REDIS_KEY_PREFIX'>) {}

  // Whether telling an event needs Redis (EVENTS_STREAM is set).
  get needsRedis (): boolean {
    return this.env.EVENTS_STREAM !== undefined
  }

  // The stream appends go through `redis`, which must stay open until `settled`.
  useRedis (redis: RedisClient): void {
    const { EVENTS_STREAM: key, EVENTS_STREAM_MAXLEN: maxLength, EVENTS_WEBHOOK_SECRET: webhookSecret, REDIS_KEY_PREFIX: prefix } = this.env
    if (key === undefined) return
    const signingKey = webhookSecret === undefined ? undefined : eventSigningKey(webhookSecret)
    this.stream = new EventStream(redis, { key: prefix + key, maxLength, signingKey }, (error) => { this.failures.push(error) })
  }

  // For a SessionService: the sessions it ends are told (with the actor its caller passes, "cli").
  get observer (): AuthEvents {
    return new SessionEventObserver((event) => this.publish(event), Date.now)
  }

  tell (type: SessionEventType, fields: SessionEventFields = {}): void {
    this.publish(sessionEvent(type, Date.now(), { ...fields, actor: CLI_ACTOR }))
  }

  // Waits for the stream appends; throws when one failed, so the command does not exit 0 with an
  // action the stream (and so the webhook) never heard of. The audit line was written regardless.
  async settled (): Promise<void> {
    await this.stream?.settled()
    if (this.failures.length > 0) {
      throw new Error(`the action was done, but its event could not be added to EVENTS_STREAM: ${(this.failures[0] as Error).message}`)
    }
  }

  private publish (event: SessionEvent): void {
    if (this.env.AUDIT_LOG === 'on') process.stderr.write(`${JSON.stringify({ logger: 'audit', ...event, msg: event.type })}\n`)
    this.stream?.append(event)
  }
}
