import { hkdfSync } from 'node:crypto'
import { CODE_TTL_SECONDS } from './code-store.ts'

// This service's settings, from the environment. The session settings it shares with the auth
// server (REDIS_KEY_PREFIX, AUTH_STRATEGY, SESSION_TTL, ...) are read by the plugin itself, by
// the server's names; only what this file needs is read here.

export interface ServiceSettings {
  host: string
  port: number
  /** The auth server's Redis: its sessions, and this service's codes and users under keyPrefix. */
  redisUrl: string
  /** The auth server's JWT_SECRET: the plugin signs and checks tokens with it. */
  jwtSecret: string
  /** The key of the codes' digests, derived from jwtSecret (see codeDigestKey). */
  codeDigestKey: Buffer
  /** Before every key of this service's own: codes, users, code budgets. */
  keyPrefix: string
  codeTtlSeconds: number
  /** NODE_ENV=development: codes are logged instead of sent. */
  development: boolean
}

const DEFAULTS = {
  HOST: '127.0.0.1',
  PORT: '3001',
  REDIS_URL: 'redis://127.0.0.1:6379',
  PHONE_LOGIN_KEY_PREFIX: 'phone-login:',
  CODE_TTL_SECONDS: String(CODE_TTL_SECONDS)
}
const MAX_PORT = 65_535
const DIGEST_KEY_BYTES = 32
const DIGEST_KEY_LABEL = 'phone-code-login: sign-in code digests'

function integerSetting (env: NodeJS.ProcessEnv, name: keyof typeof DEFAULTS, min: number, max: number): number {
  const text = env[name] ?? DEFAULTS[name]
  const value = Number(text)
  if (!/^[0-9]+$/.test(text) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}, not "${text}"`)
  return value
}

// A key of its own, derived (HKDF) rather than the secret itself: the digests cannot be mistaken
// for anything the auth server signs, and the service needs no second secret to keep in step
// across its instances.
function codeDigestKey (jwtSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', jwtSecret, '', DIGEST_KEY_LABEL, DIGEST_KEY_BYTES))
}

export function serviceSettings (env: NodeJS.ProcessEnv): ServiceSettings {
  const jwtSecret = env.JWT_SECRET
  if (jwtSecret === undefined || jwtSecret === '') throw new Error('JWT_SECRET is required: the auth server\'s own (in development, its data/jwt-secret)')
  return {
    host: env.HOST ?? DEFAULTS.HOST,
    port: integerSetting(env, 'PORT', 0, MAX_PORT),
    redisUrl: env.REDIS_URL ?? DEFAULTS.REDIS_URL,
    jwtSecret,
    codeDigestKey: codeDigestKey(jwtSecret),
    keyPrefix: env.PHONE_LOGIN_KEY_PREFIX ?? DEFAULTS.PHONE_LOGIN_KEY_PREFIX,
    codeTtlSeconds: integerSetting(env, 'CODE_TTL_SECONDS', 1, CODE_TTL_SECONDS),
    development: env.NODE_ENV === 'development'
  }
}
