import Fastify, { type FastifyInstance } from 'fastify'
import sessionCheck from '@token-session-auth/fastify'
import { Redis } from 'ioredis'
import { CodeRequestBudget } from './code-request-budget.ts'
import { loggingCodeSender, type CodeSender } from './code-sender.ts'
import { CodeStore, type Clock } from './code-store.ts'
import { answerErrorsInTheServersShape } from './error-answers.ts'
import { PhoneUsers } from './phone-users.ts'
import sessions from './routes/sessions.ts'
import signIn from './routes/sign-in.ts'
import type { ServiceSettings } from './settings.ts'

export interface ServiceOptions {
  /** How codes reach phones: your SMS provider. Without one, codes are logged (NODE_ENV=development only). */
  codeSender?: CodeSender
  /** @default () => Date.now() */
  clock?: Clock
}

// The whole service: the auth server's plugin for sessions, and this service's own codes and users.
export async function buildService (settings: ServiceSettings, options: ServiceOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: true })
  const sender = options.codeSender ?? (settings.development ? loggingCodeSender(app.log) : undefined)
  if (sender === undefined) throw new Error('No CodeSender: pass one that sends texts through your SMS provider, or run with NODE_ENV=development to log the codes')

  // This service's own keys; the plugin opens its own connection for the sessions.
  const redis = new Redis(settings.redisUrl, { lazyConnect: true })
  await redis.connect()
  app.addHook('onClose', async () => { await redis.quit() })

  answerErrorsInTheServersShape(app)
  // The auth server's settings by its names: these two given here, the rest read from the
  // environment (REDIS_KEY_PREFIX, AUTH_STRATEGY, SESSION_TTL, ...).
  await app.register(sessionCheck, { redisUrl: settings.redisUrl, jwtSecret: settings.jwtSecret })

  const { keyPrefix, codeDigestKey, codeTtlSeconds } = settings
  const clock = options.clock ?? Date.now
  await app.register(signIn, {
    codes: new CodeStore(redis, { keyPrefix, digestKey: codeDigestKey, ttlSeconds: codeTtlSeconds, clock }),
    budget: new CodeRequestBudget(redis, { keyPrefix, clock }),
    sender,
    users: new PhoneUsers(redis, keyPrefix)
  })
  await app.register(sessions)
  return app
}
