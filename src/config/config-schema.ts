// The environment variables the server reads. Their names are a public contract
// (deployments set them), so they are spelled here exactly as docs/configuration.md lists them.

const SEVEN_DAYS_SECONDS = 7 * 24 * 60 * 60
const THIRTY_DAYS_SECONDS = 30 * 24 * 60 * 60
const FIFTEEN_MINUTES_SECONDS = 15 * 60
const FIFTEEN_DAYS_SECONDS = 15 * 24 * 60 * 60
const THIRTY_MINUTES_SECONDS = 30 * 60
// Twelve hours: a browser session's idle timeout (rememberMe: false).
export const DEFAULT_SESSION_TTL_NOT_REMEMBERED = 12 * 60 * 60

// host:port, an IPv6 address in brackets; rediss:// asks for TLS.
const CLUSTER_NODE = '(rediss?://)?(\\[[0-9A-Fa-f:.]+\\]|[^,:/\\s\\[\\]]+):[0-9]{1,5}'

export type AuthStrategy = 'sliding' | 'refresh'
export type RefreshStoreKind = 'redis' | 'postgres'
export type NearCacheMode = 'on' | 'off'
export type MetricsMode = 'on' | 'off'
export type AuditLogMode = 'on' | 'off'
export type ExpiredEventsMode = 'on' | 'off'

export interface Env {
  NODE_ENV: string
  PORT: number
  HOST: string
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  REDIS_URL: string
  REDIS_CLUSTER_NODES?: string
  REDIS_USERNAME?: string
  REDIS_PASSWORD?: string
  // TLS to Redis and the cluster's address translation (src/redis/redis-tls.ts).
  REDIS_TLS: 'on' | 'off'
  REDIS_TLS_CA?: string
  REDIS_TLS_CERT?: string
  REDIS_TLS_KEY?: string
  REDIS_CLUSTER_NAT_MAP?: string
  REDIS_CLUSTER_DNS_LOOKUP: 'resolve' | 'passthrough'
  REDIS_KEY_PREFIX: string
  REDIS_COMMAND_TIMEOUT: number
  DATABASE_URL?: string
  DATA_DIR: string
  JWT_SECRET?: string
  JWT_KEYS?: string
  ACCESS_TOKEN_ALG: 'HS256' | 'EdDSA' | 'ES256'
  REFRESH_TOKEN_SECRET?: string
  DATA_ENCRYPTION_KEY?: string
  TOTP_ISSUER: string
  SESSION_TTL: number
  SESSION_MAX_LIFETIME: number
  AUTH_STRATEGY: AuthStrategy
  SESSION_SLIDING: boolean
  SESSION_ROTATE_AFTER: number
  SESSION_ROTATE_GRACE: number
  ACCESS_TOKEN_TTL: number
  REFRESH_TOKEN_TTL: number
  REFRESH_REUSE_GRACE: number
  REFRESH_MIN_INTERVAL: number
  REFRESH_STORE: RefreshStoreKind
  NEAR_CACHE: NearCacheMode
  NEAR_CACHE_MAX_ENTRIES: number
  TOKEN_HEADER: string
  COOKIE_SECURE?: boolean
  REGISTRATION_OPEN: boolean
  ADMIN_REAUTH_MAX_AGE: number
  CORS_ORIGINS: string
  TRUST_PROXY: string
  SESSION_MAX_PER_USER: number
  SESSION_DEVICE_RULES?: string
  SESSION_TTL_NOT_REMEMBERED: number
  PASSWORD_HASH_CONCURRENCY?: number
  LOGIN_USER_COOKIE: boolean
  EXAMPLE_ROUTES?: boolean
  SERVICE_KEYS?: string
  RATE_LIMIT_LOGIN_ACCOUNT_IP: number
  RATE_LIMIT_LOGIN_ACCOUNT: number
  RATE_LIMIT_LOGIN_IP: number
  RATE_LIMIT_PASSWORD_SESSION: number
  RATE_LIMIT_REGISTER_IP: number
  RATE_LIMIT_REFRESH_SESSION: number
  RATE_LIMIT_REFRESH_IP: number
  RATE_LIMIT_SERVICE_KEY_IP: number
  RATE_LIMIT_WINDOW: number
  METRICS: MetricsMode
  METRICS_TOKEN?: string
  METRICS_ALLOW: string
  // Session events (docs/events.md).
  AUDIT_LOG: AuditLogMode
  EVENTS_STREAM?: string
  EVENTS_STREAM_MAXLEN: number
  EVENTS_WEBHOOK_URL?: string
  EVENTS_WEBHOOK_SECRET?: string
  EVENTS_WEBHOOK_RETRY_MS: number
  EVENTS_WEBHOOK_MAX_ATTEMPTS: number
  EVENTS_WEBHOOK_ALLOW_HTTP: boolean
  EVENTS_EXPIRED: ExpiredEventsMode
  // Account recovery (docs/recovery.md).
  PUBLIC_URL?: string
  DELIVERY_WEBHOOK_URL?: string
  DELIVERY_WEBHOOK_SECRET?: string
  DELIVERY_RETRY_MS: number
  SMTP_URL?: string
  MAIL_FROM?: string
  PASSWORD_RESET_TTL: number
  RATE_LIMIT_RESET_ACCOUNT: number
  RATE_LIMIT_RESET_IP: number
}

export const envJsonSchema = {
  type: 'object',
  properties: {
    NODE_ENV: { type: 'string', default: 'development' },
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 3000 },
    HOST: { type: 'string', minLength: 1, default: '127.0.0.1' },
    LOG_LEVEL: {
      type: 'string',
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info'
    },
    REDIS_URL: { type: 'string', pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' },
    // Seed nodes of a Redis Cluster (host:port,host:port,...); when set, it replaces REDIS_URL.
    REDIS_CLUSTER_NODES: { type: 'string', pattern: `^${CLUSTER_NODE}(,${CLUSTER_NODE})*$` },
    // The cluster nodes' credentials (a REDIS_URL carries its own).
    REDIS_USERNAME: { type: 'string', minLength: 1 },
    REDIS_PASSWORD: { type: 'string', minLength: 1 },
    // TLS on every Redis connection (also turned on by rediss:// in REDIS_URL or a seed node).
    REDIS_TLS: { type: 'string', enum: ['on', 'off'], default: 'off' },
    // Paths of PEM files: the CA that signed the Redis certificates, and a client certificate and key.
    REDIS_TLS_CA: { type: 'string', minLength: 1 },
    REDIS_TLS_CERT: { type: 'string', minLength: 1 },
    REDIS_TLS_KEY: { type: 'string', minLength: 1 },
    // The addresses the cluster announces, mapped to ones this host reaches: JSON or from=to,...
    REDIS_CLUSTER_NAT_MAP: { type: 'string', minLength: 1 },
    // passthrough: node hostnames are kept (not resolved first), for the certificate check.
    REDIS_CLUSTER_DNS_LOOKUP: { type: 'string', enum: ['resolve', 'passthrough'], default: 'resolve' },
    REDIS_KEY_PREFIX: { type: 'string', pattern: '^[A-Za-z0-9_:.-]*$', default: '' },
    // Milliseconds. Bounds how long a request waits on a stalled Redis before it answers 503.
    REDIS_COMMAND_TIMEOUT: { type: 'integer', minimum: 50, maximum: 10000, default: 500 },
    DATABASE_URL: { type: 'string', pattern: '^(postgres|postgresql)://' },
    DATA_DIR: { type: 'string', minLength: 1, default: './data' },
    JWT_SECRET: { type: 'string', minLength: 32 },
    // A JSON list of {kid, secret} or {kid, privateKey}, or the path of a file holding one: parsed in jwt-keys.ts.
    JWT_KEYS: { type: 'string', minLength: 1 },
    // What signs tokens: the JWT_KEYS secrets (HS256), or their private keys (EdDSA, ES256).
    ACCESS_TOKEN_ALG: { type: 'string', enum: ['HS256', 'EdDSA', 'ES256'], default: 'HS256' },
    REFRESH_TOKEN_SECRET: { type: 'string', minLength: 32 },
    // 32 bytes, hex or base64, sealing stored secrets (TOTP) with AES-256-GCM: parsed in
    // data-encryption-key.ts; generated under DATA_DIR outside production, required in it.
    DATA_ENCRYPTION_KEY: { type: 'string', minLength: 1 },
    // The issuer an authenticator app shows next to the account (otpauth:// URI).
    TOTP_ISSUER: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[^:\\p{Cc}\\p{Cf}]+$', default: 'token-session-auth' },
    SESSION_TTL: { type: 'integer', minimum: 1, default: SEVEN_DAYS_SECONDS },
    SESSION_MAX_LIFETIME: { type: 'integer', minimum: 0, default: THIRTY_DAYS_SECONDS },
    AUTH_STRATEGY: { type: 'string', enum: ['sliding', 'refresh'], default: 'sliding' },
    SESSION_SLIDING: { type: 'boolean', default: true },
    // Seconds; 0 = never reissue. Sliding strategy only.
    SESSION_ROTATE_AFTER: { type: 'integer', minimum: 0, default: 0 },
    SESSION_ROTATE_GRACE: { type: 'integer', minimum: 0, default: 30 },
    ACCESS_TOKEN_TTL: { type: 'integer', minimum: 1, default: THIRTY_MINUTES_SECONDS },
    REFRESH_TOKEN_TTL: { type: 'integer', minimum: 1, default: FIFTEEN_DAYS_SECONDS },
    REFRESH_REUSE_GRACE: { type: 'integer', minimum: 0, default: 10 },
    REFRESH_MIN_INTERVAL: { type: 'integer', minimum: 0, default: 0 },
    REFRESH_STORE: { type: 'string', enum: ['redis', 'postgres'], default: 'redis' },
    // A per-instance cache of live sessions, kept correct by Redis' invalidation messages.
    NEAR_CACHE: { type: 'string', enum: ['on', 'off'], default: 'on' },
    NEAR_CACHE_MAX_ENTRIES: { type: 'integer', minimum: 1, default: 100_000 },
    TOKEN_HEADER: { type: 'string', pattern: '^[a-z0-9-]+$', default: 'token' },
    COOKIE_SECURE: { type: 'boolean' },
    REGISTRATION_OPEN: { type: 'boolean', default: true },
    // Seconds: the admin routes need a sign-in (login or POST /auth/reauthenticate) this recent.
    ADMIN_REAUTH_MAX_AGE: { type: 'integer', minimum: 1, maximum: 31_536_000, default: 900 },
    CORS_ORIGINS: { type: 'string', default: '' },
    // `false`, a number of proxy hops, or proxy addresses and CIDRs; parsed in load-config.ts.
    TRUST_PROXY: { type: 'string', minLength: 1, default: 'false' },
    // 0 = no cap (unsafe: one account could hold any number of sessions).
    // A login looks at up to this many of the user's sessions, so the cap is bounded too.
    SESSION_MAX_PER_USER: { type: 'integer', minimum: 0, maximum: 1000, default: 100 },
    // A JSON object of device type → {maxSessions, onOverflow, idleTtl, maxLifetime}, or the path
    // of a file holding one: parsed in device-rules.ts.
    SESSION_DEVICE_RULES: { type: 'string', minLength: 1 },
    // The idle timeout of a session started with rememberMe: false (a browser session).
    SESSION_TTL_NOT_REMEMBERED: { type: 'integer', minimum: 1, default: DEFAULT_SESSION_TTL_NOT_REMEMBERED },
    // Concurrent argon2 computations per instance; unset: the number of cores.
    PASSWORD_HASH_CONCURRENCY: { type: 'integer', minimum: 1, maximum: 1024 },
    // The script-readable `loginUser` cookie (the account), for front ends that read it.
    LOGIN_USER_COOKIE: { type: 'boolean', default: false },
    // The example resource under routes/notes/; unset: on outside production, off in it.
    EXAMPLE_ROUTES: { type: 'boolean' },
    // The backends that may call the /service/ routes: a JSON list of {name, keySha256, scopes},
    // or the path of a file holding one; parsed in service-keys.ts. Unset: no /service/ routes.
    SERVICE_KEYS: { type: 'string', minLength: 1 },
    // Failed logins of one account from one client: the owner's own IP keeps its budget.
    RATE_LIMIT_LOGIN_ACCOUNT_IP: { type: 'integer', minimum: 1, default: 10 },
    // Failed logins of one account from anywhere: a ceiling against distributed guessing.
    RATE_LIMIT_LOGIN_ACCOUNT: { type: 'integer', minimum: 1, default: 100 },
    RATE_LIMIT_LOGIN_IP: { type: 'integer', minimum: 1, default: 100 },
    // Wrong old passwords on POST /auth/password, per session.
    RATE_LIMIT_PASSWORD_SESSION: { type: 'integer', minimum: 1, default: 5 },
    RATE_LIMIT_REGISTER_IP: { type: 'integer', minimum: 1, default: 20 },
    RATE_LIMIT_REFRESH_SESSION: { type: 'integer', minimum: 1, default: 30 },
    RATE_LIMIT_REFRESH_IP: { type: 'integer', minimum: 1, default: 100 },
    // Refused service keys (none, malformed, unknown) per client IP: a backend never needs many.
    RATE_LIMIT_SERVICE_KEY_IP: { type: 'integer', minimum: 1, default: 20 },
    RATE_LIMIT_WINDOW: { type: 'integer', minimum: 1, default: FIFTEEN_MINUTES_SECONDS },
    // GET /metrics (Prometheus); off: no route and nothing counted.
    METRICS: { type: 'string', enum: ['on', 'off'], default: 'off' },
    // The bearer token /metrics requires when set: long, and no spaces (it travels in a header).
    METRICS_TOKEN: { type: 'string', minLength: 16, pattern: '^[\\x21-\\x7e]+$' },
    // Addresses and CIDRs besides loopback that may read /metrics; parsed in metrics-access.ts.
    METRICS_ALLOW: { type: 'string', default: '' },
    // Session events (docs/events.md): to the log under `audit`, to a Redis Stream, to a webhook.
    AUDIT_LOG: { type: 'string', enum: ['on', 'off'], default: 'on' },
    // The stream's key, after REDIS_KEY_PREFIX; unset: no stream (and no webhook).
    EVENTS_STREAM: { type: 'string', pattern: '^[A-Za-z0-9_:.{}-]+$' },
    // XADD MAXLEN ~: about this many events are kept.
    EVENTS_STREAM_MAXLEN: { type: 'integer', minimum: 1, default: 100_000 },
    EVENTS_WEBHOOK_URL: { type: 'string', pattern: '^https?://' },
    // Signs each POST (HMAC-SHA256); required with EVENTS_WEBHOOK_URL.
    EVENTS_WEBHOOK_SECRET: { type: 'string', minLength: 32 },
    // Milliseconds before the first retry of a refused POST; each next waits twice as long.
    EVENTS_WEBHOOK_RETRY_MS: { type: 'integer', minimum: 10, maximum: 60_000, default: 1000 },
    // Attempts an event the receiver refuses for good (4xx but 408/429, a redirect) gets before the dead-letter stream.
    EVENTS_WEBHOOK_MAX_ATTEMPTS: { type: 'integer', minimum: 1, default: 5 },
    // An http:// EVENTS_WEBHOOK_URL in production, where https:// is required otherwise.
    EVENTS_WEBHOOK_ALLOW_HTTP: { type: 'boolean', default: false },
    // session.ended for idle expiry, from Redis' keyspace notifications.
    EVENTS_EXPIRED: { type: 'string', enum: ['on', 'off'], default: 'on' },
    // Account recovery (docs/recovery.md). The base of the links sent to users: the page's address.
    PUBLIC_URL: { type: 'string', pattern: '^https?://[^\\s#?]+$' },
    // The app's endpoint that reaches users (SMS, push, its own mail); signed with the secret.
    DELIVERY_WEBHOOK_URL: { type: 'string', pattern: '^https?://' },
    DELIVERY_WEBHOOK_SECRET: { type: 'string', minLength: 32 },
    // Milliseconds before a failed delivery's first retry; each next waits twice as long.
    DELIVERY_RETRY_MS: { type: 'integer', minimum: 10, maximum: 60_000, default: 1000 },
    // smtp:// or smtps://, with credentials in the URL: e-mail to accounts that are addresses.
    SMTP_URL: { type: 'string', pattern: '^smtps?://' },
    MAIL_FROM: { type: 'string', minLength: 3 },
    // Seconds a password-reset link works.
    PASSWORD_RESET_TTL: { type: 'integer', minimum: 60, maximum: 86_400, default: THIRTY_MINUTES_SECONDS },
    // POST /auth/password/forgot per account, and per IP (with the refused reset tokens).
    RATE_LIMIT_RESET_ACCOUNT: { type: 'integer', minimum: 1, default: 3 },
    RATE_LIMIT_RESET_IP: { type: 'integer', minimum: 1, default: 20 }
  }
} as const
