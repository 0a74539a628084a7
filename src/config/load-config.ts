import envSchema from 'env-schema'
import { envJsonSchema, type Env } from './config-schema.js'
import { loadOrCreateDevelopmentSecret, REFRESH_TOKEN_SECRET_FILE, type DevelopmentSecretName } from './jwt-secret.js'
import { assertNotKeyMaterial, signingKeysOf } from './jwt-keys.js'
import type { SigningKeys } from '../tokens/signing-keys.js'
import { parseTrustProxy, type TrustedProxies } from './trust-proxy.js'
import { ConfigError, type EnvSource } from './config-error.js'
import { parseOrigins } from './cors-origins.js'
import { parseMetricsAllow, type AddressRange } from './metrics-allow.js'
import { checkEventSettings } from './event-settings.js'
import { deliverySettingsOf, publicUrlOf, type DeliverySettings } from './delivery-settings.js'
import { checkRedisConnectionSettings } from '../redis/redis-tls.js'
import type { ServiceKeyEntry } from '../service-keys/service-key.js'
import { parseServiceKeys } from './service-keys.js'
import { parseDeviceRules } from './device-rules.js'
import { parseDataEncryptionKey } from './data-encryption-key.js'

export { ConfigError, type EnvSource }

export interface AppConfig extends Omit<Env, 'COOKIE_SECURE' | 'EXAMPLE_ROUTES'> {
  // From JWT_KEYS or JWT_SECRET (generated outside production): the first signs, all verify.
  jwtKeys: SigningKeys
  // What successor refresh tokens are derived from; unset only where nothing uses it (sliding strategy).
  refreshTokenSecret?: string
  COOKIE_SECURE: boolean
  EXAMPLE_ROUTES: boolean
  isProduction: boolean
  corsOrigins: string[]
  trustedProxies: TrustedProxies
  // METRICS_ALLOW, parsed.
  metricsAllow: AddressRange[]
  // SERVICE_KEYS, parsed; empty when unset (then the /service/ routes are not registered).
  serviceKeys: ServiceKeyEntry[]
  // How password-reset links reach users (delivery-settings.ts), and the base of the links.
  delivery: DeliverySettings
  publicUrl: string
  // Set when the secret was generated for development, so the server can warn about it.
  generatedSecretPath?: string
  // DATA_ENCRYPTION_KEY, parsed; unset only outside production, where the second-factor plugin
  // generates one under DATA_DIR when it starts (so a config read alone writes no file).
  dataEncryptionKey?: Buffer
}

// env-schema sets `additionalProperties` on the schema it is given, so it gets a copy of its own:
// one for every read, because ajv compiles a schema object once and then reuses its validator (a
// copy per read would be compiled on each read, tens of milliseconds: every app a test builds).
const validatedSchema = structuredClone(envJsonSchema)

// Only the variables the schema names; anything else in the environment is ignored.
export function readEnv (source: EnvSource): Env {
  try {
    return envSchema<Env>({ schema: validatedSchema, data: source, env: false })
  } catch (err) {
    // ajv names the variable ("env/SESSION_TTL must be integer"); say where it came from.
    const message = (err as Error).message
    // `REDIS_URL=` is a value, not an absence: the same refusal for the server, the admin CLI
    // and `npm run dev`, saying how to get the default instead.
    const variable = /^env\/(\w+) /.exec(message)?.[1]
    if (variable !== undefined && source[variable] === '') {
      throw new ConfigError(`Invalid configuration: ${variable} is set but empty: unset it (\`unset ${variable}\`) for its default, or give a value (${message})`)
    }
    throw new ConfigError(`Invalid configuration: ${message}`)
  }
}

export function loadConfig (source: EnvSource = process.env): AppConfig {
  const env = readEnv(source)
  if (env.AUTH_STRATEGY === 'refresh' && env.SESSION_ROTATE_AFTER > 0) {
    // Refresh clients already get new access tokens; a second renewal channel would only confuse them.
    throw new ConfigError('Invalid configuration: SESSION_ROTATE_AFTER applies to AUTH_STRATEGY=sliding only')
  }
  checkEventSettings(env)
  checkRedisConnectionSettings(env)
  const trustedProxies = parseTrustProxy(env.TRUST_PROXY)
  if (typeof trustedProxies === 'object' && !Array.isArray(trustedProxies)) {
    throw new ConfigError(`Invalid configuration: ${trustedProxies.error}`)
  }
  const metricsAllow = parseMetricsAllow(env.METRICS_ALLOW)
  const serviceKeys = env.SERVICE_KEYS === undefined ? [] : parseServiceKeys(env.SERVICE_KEYS)
  // Checked at start; the session engine reads the rules where it is built (sessionPolicyOf).
  parseDeviceRules(env.SESSION_DEVICE_RULES)
  const isProduction = env.NODE_ENV === 'production'
  const delivery = deliverySettingsOf(env, isProduction)
  let jwtKeys = signingKeysOf(env)
  let generatedSecretPath: string | undefined
  if (jwtKeys === undefined) {
    if (isProduction) {
      throw new ConfigError('Invalid configuration: JWT_SECRET (at least 32 characters) or JWT_KEYS is required when NODE_ENV=production')
    }
    const generated = developmentSecret(env.DATA_DIR)
    jwtKeys = [{ secret: generated.secret }]
    generatedSecretPath = generated.path
  }
  const dataKey = dataEncryptionKey(env, isProduction)
  return {
    ...env,
    jwtKeys,
    ...(dataKey === undefined ? {} : { dataEncryptionKey: dataKey }),
    refreshTokenSecret: refreshTokenSecret(env, isProduction),
    // Production always gets Secure cookies; COOKIE_SECURE adds them elsewhere (a TLS staging host).
    COOKIE_SECURE: env.COOKIE_SECURE === true || isProduction,
    // An example is for trying the server out: a production deployment opts in explicitly.
    EXAMPLE_ROUTES: env.EXAMPLE_ROUTES ?? !isProduction,
    isProduction,
    corsOrigins: parseOrigins(env.CORS_ORIGINS),
    trustedProxies,
    metricsAllow,
    serviceKeys,
    delivery,
    publicUrl: publicUrlOf(env),
    generatedSecretPath
  }
}

function developmentSecret (dataDir: string, name?: DevelopmentSecretName): { secret: string, path: string } {
  try {
    return loadOrCreateDevelopmentSecret(dataDir, name)
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${(err as Error).message}`)
  }
}

// A secret of its own, so rotating the JWT keys leaves refresh tokens alone. Without one, the
// JWT_SECRET it was always derived from: a deployment that moves to JWT_KEYS keeps its refresh
// tokens by setting REFRESH_TOKEN_SECRET to that old JWT_SECRET.
function refreshTokenSecret (env: Env, isProduction: boolean): string | undefined {
  if (env.REFRESH_TOKEN_SECRET !== undefined) {
    // The HMAC key successor refresh tokens are derived with: one known to others would let a
    // stolen, since rotated refresh token's successor be computed.
    assertNotKeyMaterial(env.REFRESH_TOKEN_SECRET, 'REFRESH_TOKEN_SECRET')
    return env.REFRESH_TOKEN_SECRET
  }
  if (env.JWT_SECRET !== undefined) return env.JWT_SECRET
  if (env.AUTH_STRATEGY !== 'refresh' && env.JWT_KEYS !== undefined) return undefined
  if (isProduction) {
    throw new ConfigError('Invalid configuration: REFRESH_TOKEN_SECRET (at least 32 characters) is required with JWT_KEYS and AUTH_STRATEGY=refresh')
  }
  // Development without JWT_SECRET: the refresh secret is generated too, in its own file.
  return developmentSecret(env.DATA_DIR, env.JWT_KEYS === undefined ? undefined : REFRESH_TOKEN_SECRET_FILE).secret
}

// A database dump alone must not give the second factors away: in production the key comes from
// the environment (a secret store), never from a file next to the data.
function dataEncryptionKey (env: Env, isProduction: boolean): Buffer | undefined {
  if (env.DATA_ENCRYPTION_KEY !== undefined) return parseDataEncryptionKey(env.DATA_ENCRYPTION_KEY)
  if (isProduction) {
    throw new ConfigError('Invalid configuration: DATA_ENCRYPTION_KEY (32 bytes, hex or base64: openssl rand -hex 32) is required when NODE_ENV=production')
  }
  return undefined
}
