import envSchema from 'env-schema'
import { envJsonSchema, type Env } from './config-schema.js'
import { ConfigError, type EnvSource } from './config-error.js'
import { parseOrigins } from './cors-origins.js'
import { parseDeviceRules } from './device-rules.js'
import { signingKeysOf } from './jwt-keys.js'
import { checkRedisConnectionSettings } from '../redis/redis-tls.js'
import { signingKeyIndex, signingMaterial, type SigningKey, type SigningKeys } from '../tokens/signing-keys.js'

// What checking a session needs to know: where the sessions are, the secret, and the strategy
// settings that decide a session's answer. Every service that checks sessions must share them
// with the auth server, so they have the server's names and validation.
export const SESSION_CHECK_SETTING_NAMES = [
  'NODE_ENV', 'REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_USERNAME', 'REDIS_PASSWORD',
  'REDIS_TLS', 'REDIS_TLS_CA', 'REDIS_TLS_CERT', 'REDIS_TLS_KEY', 'REDIS_CLUSTER_NAT_MAP', 'REDIS_CLUSTER_DNS_LOOKUP', 'REDIS_KEY_PREFIX', 'REDIS_COMMAND_TIMEOUT', 'JWT_SECRET', 'JWT_KEYS', 'ACCESS_TOKEN_ALG', 'TOKEN_HEADER', 'COOKIE_SECURE', 'CORS_ORIGINS',
  'AUTH_STRATEGY', 'SESSION_TTL', 'SESSION_MAX_LIFETIME', 'SESSION_SLIDING', 'SESSION_ROTATE_AFTER', 'SESSION_ROTATE_GRACE',
  'ACCESS_TOKEN_TTL', 'REFRESH_TOKEN_TTL', 'REFRESH_REUSE_GRACE', 'REFRESH_MIN_INTERVAL', 'REFRESH_STORE', 'SESSION_MAX_PER_USER',
  'SESSION_DEVICE_RULES', 'SESSION_TTL_NOT_REMEMBERED',
  'NEAR_CACHE', 'NEAR_CACHE_MAX_ENTRIES',
  // What starting sessions (app.sessions) needs beyond the check: the login cookie, the refresh
  // strategy's secret and, with REFRESH_STORE=postgres, the auth server's database.
  'LOGIN_USER_COOKIE', 'REFRESH_TOKEN_SECRET', 'DATABASE_URL',
  // Where the sessions a service starts and ends are told, signed as the auth server signs its own.
  'EVENTS_STREAM', 'EVENTS_STREAM_MAXLEN', 'EVENTS_WEBHOOK_SECRET'
] as const satisfies ReadonlyArray<keyof Env>

type SettingName = typeof SESSION_CHECK_SETTING_NAMES[number]

// As the auth server's configuration has them (AppConfig), so the server can pass its own.
export type SessionCheckSettings = Omit<Pick<Env, SettingName>, 'COOKIE_SECURE' | 'CORS_ORIGINS'> & {
  // From JWT_KEYS or JWT_SECRET: the first signs (reissues), all verify.
  jwtKeys: SigningKeys
  COOKIE_SECURE: boolean
  corsOrigins: string[]
  // The key refresh tokens' successors are derived with: REFRESH_TOKEN_SECRET, else JWT_SECRET,
  // as the auth server derives it. Only starting sessions in the refresh strategy needs it.
  refreshTokenSecret?: string
}

// `REDIS_URL` is given as `redisUrl`, and so on.
type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Lowercase<Head>}${Capitalize<CamelCase<Tail>>}` : Lowercase<S>
export type SessionCheckSettingOptions = {
  [Name in SettingName as CamelCase<Name>]?: Name extends 'CORS_ORIGINS' ? string | readonly string[] : Env[Name]
}

function camelCase (name: string): string {
  return name.toLowerCase().replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase())
}

// A schema of its own, since env-schema sets `additionalProperties` on the one it is given, and
// one object for every check: ajv compiles a schema object once and reuses its validator.
const settingsSchema = structuredClone({
  type: 'object',
  properties: Object.fromEntries(SESSION_CHECK_SETTING_NAMES.map((name) => [name, envJsonSchema.properties[name]]))
})

// Options win over the environment, which supplies the rest; unset ones take the server's defaults.
export function sessionCheckSettings (options: SessionCheckSettingOptions, env: EnvSource): SessionCheckSettings {
  const given = options as Record<string, unknown>
  const data: Record<string, unknown> = {}
  for (const name of SESSION_CHECK_SETTING_NAMES) {
    const value = given[camelCase(name)] ?? env[name]
    if (value !== undefined) data[name] = Array.isArray(value) ? value.join(',') : value
  }
  const settings = validatedSettings(data)
  return { ...settings, refreshTokenSecret: settings.REFRESH_TOKEN_SECRET ?? settings.JWT_SECRET }
}

// A key as a JWT_KEYS entry: the private half where there is one (the public one is derived).
function jwtKeysEntry ({ kid, signs, secret, privateKey, publicKey }: SigningKey): Record<string, unknown> {
  const material = secret !== undefined ? { secret } : privateKey !== undefined ? { privateKey } : { publicKey }
  return { kid, ...material, ...(signs === false ? { signs } : {}) }
}

// Settings in their validated form (the plugin's `settings` option, which the auth server gives
// its own configuration) are written back by the variables' names and checked as the variables
// are: a host app cannot pass what the options would refuse, such as a public key as the secret.
export function checkedSessionCheckSettings (settings: SessionCheckSettings): SessionCheckSettings {
  const fields: Partial<Record<SettingName, unknown>> = settings
  const data: Record<string, unknown> = {}
  for (const name of SESSION_CHECK_SETTING_NAMES) {
    if (fields[name] !== undefined) data[name] = fields[name]
  }
  data.CORS_ORIGINS = settings.corsOrigins.join(',')
  // The keys in use are jwtKeys, whatever JWT_SECRET or JWT_KEYS the object also holds.
  delete data.JWT_SECRET
  delete data.JWT_KEYS
  const [first, ...others] = settings.jwtKeys
  if (first.kid === undefined && first.secret !== undefined && others.length === 0) data.JWT_SECRET = first.secret
  else data.JWT_KEYS = JSON.stringify(settings.jwtKeys.map(jwtKeysEntry))
  // The auth server's own, which it may have generated for development.
  return { ...validatedSettings(data), refreshTokenSecret: settings.refreshTokenSecret ?? settings.REFRESH_TOKEN_SECRET }
}

function validatedSettings (data: Record<string, unknown>): SessionCheckSettings {
  let parsed: Pick<Env, SettingName>
  try {
    parsed = envSchema<Pick<Env, SettingName>>({ schema: settingsSchema, data, env: false })
  } catch (error) {
    throw new ConfigError(`Invalid session check settings: ${(error as Error).message}`)
  }
  const { CORS_ORIGINS: corsOrigins, ...rest } = parsed
  checkRedisConnectionSettings(parsed)
  parseDeviceRules(parsed.SESSION_DEVICE_RULES)
  // With EdDSA or ES256 a service may hold public keys only: it verifies, and never signs.
  const jwtKeys = signingKeysOf(parsed, { verifyOnly: true })
  // A generated secret would differ from the auth server's: every token would be refused.
  if (jwtKeys === undefined) throw new ConfigError('Invalid session check settings: jwtSecret (JWT_SECRET) or jwtKeys (JWT_KEYS) is required, the auth server\'s own')
  if (parsed.SESSION_ROTATE_AFTER > 0 && signingMaterial(jwtKeys[signingKeyIndex(jwtKeys)] ?? jwtKeys[0]) === undefined) {
    throw new ConfigError('Invalid session check settings: SESSION_ROTATE_AFTER reissues tokens, which needs the signing key\'s "privateKey" in jwtKeys, not its "publicKey"')
  }
  return {
    ...rest,
    jwtKeys,
    COOKIE_SECURE: rest.COOKIE_SECURE === true || rest.NODE_ENV === 'production',
    corsOrigins: parseOrigins(corsOrigins)
  }
}
