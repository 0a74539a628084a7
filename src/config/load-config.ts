import envSchema from 'env-schema'
import { envJsonSchema, type Env } from './config-schema.js'
import { loadOrCreateDevelopmentSecret } from './jwt-secret.js'
import { parseTrustProxy, type TrustedProxies } from './trust-proxy.js'
import { ConfigError, type EnvSource } from './config-error.js'
import { parseOrigins } from './cors-origins.js'
import { parseMetricsAllow, type AddressRange } from './metrics-allow.js'

export { ConfigError, type EnvSource }

export interface AppConfig extends Omit<Env, 'JWT_SECRET' | 'COOKIE_SECURE' | 'EXAMPLE_ROUTES'> {
  JWT_SECRET: string
  COOKIE_SECURE: boolean
  EXAMPLE_ROUTES: boolean
  isProduction: boolean
  corsOrigins: string[]
  trustedProxies: TrustedProxies
  // METRICS_ALLOW, parsed.
  metricsAllow: AddressRange[]
  // Set when the secret was generated for development, so the server can warn about it.
  generatedSecretPath?: string
}

// Only the variables the schema names; anything else in the environment is ignored.
export function readEnv (source: EnvSource): Env {
  try {
    return envSchema<Env>({ schema: structuredClone(envJsonSchema), data: source, env: false })
  } catch (err) {
    // ajv names the variable ("env/SESSION_TTL must be integer"); say where it came from.
    throw new ConfigError(`Invalid configuration: ${(err as Error).message}`)
  }
}

export function loadConfig (source: EnvSource = process.env): AppConfig {
  const env = readEnv(source)
  if (env.AUTH_STRATEGY === 'refresh' && env.SESSION_ROTATE_AFTER > 0) {
    // Refresh clients already get new access tokens; a second renewal channel would only confuse them.
    throw new ConfigError('Invalid configuration: SESSION_ROTATE_AFTER applies to AUTH_STRATEGY=sliding only')
  }
  const trustedProxies = parseTrustProxy(env.TRUST_PROXY)
  if (typeof trustedProxies === 'object' && !Array.isArray(trustedProxies)) {
    throw new ConfigError(`Invalid configuration: ${trustedProxies.error}`)
  }
  const metricsAllow = parseMetricsAllow(env.METRICS_ALLOW)
  const isProduction = env.NODE_ENV === 'production'
  let jwtSecret = env.JWT_SECRET
  let generatedSecretPath: string | undefined
  if (jwtSecret === undefined) {
    if (isProduction) {
      throw new ConfigError('Invalid configuration: JWT_SECRET is required when NODE_ENV=production (at least 32 characters)')
    }
    let generated
    try {
      generated = loadOrCreateDevelopmentSecret(env.DATA_DIR)
    } catch (err) {
      throw new ConfigError(`Invalid configuration: ${(err as Error).message}`)
    }
    jwtSecret = generated.secret
    generatedSecretPath = generated.path
  }
  return {
    ...env,
    JWT_SECRET: jwtSecret,
    // Production always gets Secure cookies; COOKIE_SECURE adds them elsewhere (a TLS staging host).
    COOKIE_SECURE: env.COOKIE_SECURE === true || isProduction,
    // An example is for trying the server out: a production deployment opts in explicitly.
    EXAMPLE_ROUTES: env.EXAMPLE_ROUTES ?? !isProduction,
    isProduction,
    corsOrigins: parseOrigins(env.CORS_ORIGINS),
    trustedProxies,
    metricsAllow,
    generatedSecretPath
  }
}
