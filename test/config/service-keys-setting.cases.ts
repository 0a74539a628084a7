import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { ServiceKeyRing } from '../../src/service-keys/service-key-ring.js'
import { newServiceKey, serviceKeyEntry } from '../../src/service-keys/service-key.js'
import { TEST_JWT_SECRET } from '../helpers/build-app.js'
import { configError } from '../helpers/config-error.js'

// SERVICE_KEYS (docs/configuration.md#service_keys) is checked entry by entry at start, so a typo
// is a one-sentence refusal rather than a backend's 401 or 403 in production.

const BILLING_KEY = newServiceKey()
const SUPPORT_KEY = newServiceKey()
const BILLING = serviceKeyEntry('billing', BILLING_KEY, ['sessions:start', 'sessions:read'])
const SUPPORT = serviceKeyEntry('support-desk_2', SUPPORT_KEY, ['sessions:end'])
const ALL_SCOPES = ['sessions:start', 'sessions:read', 'sessions:end']

function serviceKeysError (list: unknown): string | undefined {
  return configError({ JWT_SECRET: TEST_JWT_SECRET, SERVICE_KEYS: JSON.stringify(list) })?.message
}

t.test('SERVICE_KEYS: a JSON list or a file holding one; digests only, in either case of hex', async (t) => {
  t.same(loadConfig({ JWT_SECRET: TEST_JWT_SECRET }).serviceKeys, [], 'unset: no service keys')

  const upperCase = { ...SUPPORT, keySha256: SUPPORT.keySha256.toUpperCase() }
  const config = loadConfig({ JWT_SECRET: TEST_JWT_SECRET, SERVICE_KEYS: JSON.stringify([BILLING, upperCase]) })
  t.same(config.serviceKeys, [BILLING, SUPPORT], 'parsed, the digests in lowercase')
  t.equal(BILLING.keySha256, createHash('sha256').update(BILLING_KEY).digest('hex'), 'keySha256 is the SHA-256 of the key as sent')

  const dir = mkdtempSync(join(tmpdir(), 'auth-service-keys-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const file = join(dir, 'service-keys.json')
  writeFileSync(file, `${JSON.stringify([BILLING])}\n`)
  t.same(loadConfig({ JWT_SECRET: TEST_JWT_SECRET, SERVICE_KEYS: file }).serviceKeys, [BILLING], 'read from a file')
  t.match(configError({ JWT_SECRET: TEST_JWT_SECRET, SERVICE_KEYS: join(dir, 'missing.json') })?.message,
    /SERVICE_KEYS is neither a JSON list nor a readable file \(ENOENT: .*missing\.json\)/, 'a path that cannot be read')

  const pastedKey = configError({ JWT_SECRET: TEST_JWT_SECRET, SERVICE_KEYS: BILLING_KEY })?.message
  t.match(pastedKey, /SERVICE_KEYS holds a service key; it takes the key's entry \(its SHA-256\), never the key/, 'a key pasted in is refused')
  t.notOk(pastedKey?.includes(BILLING_KEY), 'without repeating it')

  const ring = new ServiceKeyRing(config.serviceKeys)
  t.same(ring.check(`Bearer ${SUPPORT_KEY}`), { identity: { name: 'support-desk_2', scopes: ['sessions:end'] } }, 'the key of an uppercase digest is known')
  t.same(ring.check(`bearer  ${BILLING_KEY} `), { identity: { name: 'billing', scopes: ['sessions:start', 'sessions:read'] } }, 'the scheme in any case, spaces around the key')
})

t.test('each entry is refused with what is wrong with it, naming it by position and name', async (t) => {
  const badEntries: Array<[string, unknown, RegExp]> = [
    ['not JSON', undefined, /SERVICE_KEYS is not a JSON list of \{"name", "keySha256", "scopes"\}/],
    ['an empty list', [], /SERVICE_KEYS must list at least one .*unset it to turn the \/service\/ routes off/],
    ['an object, not a list', BILLING, /SERVICE_KEYS must list at least one/],
    ['no name', [{ keySha256: BILLING.keySha256, scopes: ALL_SCOPES }], /SERVICE_KEYS\[0\] needs a "name" of 1 to 32 lowercase letters, digits, "_" or "-", beginning with a letter/],
    ['a name with a space', [{ ...BILLING, name: 'bill ing' }], /SERVICE_KEYS\[0\] needs a "name"/],
    ['a name in capitals', [{ ...BILLING, name: 'Billing' }], /SERVICE_KEYS\[0\] needs a "name"/],
    ['a name of 33 characters', [{ ...BILLING, name: `b${'x'.repeat(32)}` }], /SERVICE_KEYS\[0\] needs a "name"/],
    ['a digest of 63 hex digits', [SUPPORT, { ...BILLING, keySha256: BILLING.keySha256.slice(1) }],
      /SERVICE_KEYS\[1\] \("billing"\) needs a "keySha256" of 64 hex digits/],
    ['a digest that is not hex', [{ ...BILLING, keySha256: 'g'.repeat(64) }], /SERVICE_KEYS\[0\] \("billing"\) needs a "keySha256" of 64 hex digits/],
    ['the key itself', [{ ...BILLING, key: BILLING_KEY }], /SERVICE_KEYS\[0\] \("billing"\) has a field "key"; an entry has only "name", "keySha256" and "scopes"/],
    ['no scopes', [{ ...BILLING, scopes: [] }], /SERVICE_KEYS\[0\] \("billing"\) needs "scopes", a non-empty list of sessions:start, sessions:read, sessions:end/],
    ['scopes as a string', [{ ...BILLING, scopes: 'sessions:start' }], /SERVICE_KEYS\[0\] \("billing"\) needs "scopes", a non-empty list/],
    ['an unknown scope', [{ ...BILLING, scopes: ['sessions:start', 'sessions:delete'] }],
      /SERVICE_KEYS\[0\] \("billing"\) has the unknown scope "sessions:delete"; the scopes are sessions:start, sessions:read, sessions:end/],
    ['a scope twice', [{ ...BILLING, scopes: ['sessions:read', 'sessions:read'] }], /SERVICE_KEYS\[0\] \("billing"\) lists a scope twice/],
    ['a name twice', [BILLING, { ...SUPPORT, name: 'billing' }], /SERVICE_KEYS names "billing" twice/],
    ['a digest twice, in another case', [BILLING, { ...SUPPORT, keySha256: BILLING.keySha256.toUpperCase() }],
      /SERVICE_KEYS gives entry 1 \("support-desk_2"\) the keySha256 of an earlier entry/]
  ]
  for (const [problem, list, message] of badEntries) {
    const error = list === undefined
      ? configError({ JWT_SECRET: TEST_JWT_SECRET, SERVICE_KEYS: '[{"name": "billing",' })?.message
      : serviceKeysError(list)
    t.match(error, message, problem)
    t.notOk(error?.includes(BILLING_KEY), `${problem}: the message holds no key`)
  }
})

t.test('a request names a configured key only by the exact key, as Bearer', async (t) => {
  const ring = new ServiceKeyRing([BILLING, SUPPORT])
  const sessionToken = 'eyJhbGciOiJIUzI1NiJ9.eyJ1c2VySWQiOjF9.c2lnbmF0dXJl'
  const refusals: Array<[string | undefined, string, string]> = [
    [undefined, 'missing', 'no header'],
    ['', 'missing', 'an empty header'],
    [BILLING_KEY, 'malformed', 'the key without "Bearer"'],
    [`Basic ${BILLING_KEY}`, 'malformed', 'another scheme'],
    [`Bearer ${BILLING_KEY} extra`, 'malformed', 'two tokens'],
    [`Bearer ${'a'.repeat(513)}`, 'malformed', 'a token over 512 characters'],
    [`Bearer ${BILLING_KEY.slice(0, -1)}`, 'unknown', 'the key less one character'],
    [`Bearer ${BILLING_KEY}x`, 'unknown', 'the key and one more'],
    [`Bearer ${BILLING.keySha256}`, 'unknown', 'the digest in place of the key'],
    [`Bearer ${sessionToken}`, 'session_token', 'a JWT']
  ]
  for (const [authorization, refusal, what] of refusals) t.same(ring.check(authorization), { refusal }, what)
  t.same(new ServiceKeyRing([]).check(`Bearer ${BILLING_KEY}`), { refusal: 'unknown' }, 'no configured key knows it')
})
