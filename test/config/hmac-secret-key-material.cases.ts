import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import t from 'tap'
import { TEST_JWT_SECRET } from '../helpers/build-app.js'
import { configError } from '../helpers/config-error.js'
import { newSessionId } from '../../src/tokens/session-claims.js'
import { sessionTokenCodec } from '../../src/tokens/session-token-codec.js'

// An HS256 secret must be a secret. A public key (PEM, JWK, or its DER in base64) given as one
// is published material: anyone could sign tokens with it. Each form is refused at start, by a
// message that names where it was found and never repeats it.

const ed = generateKeyPairSync('ed25519')
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })

const spkiPem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString()
const pkcs8Pem = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }).toString()

// Every form a key is published or stored in, each long enough to pass the length check.
const KEY_MATERIAL: Array<[string, string]> = [
  ['an Ed25519 public key (SPKI PEM)', spkiPem(ed.publicKey)],
  ['a P-256 public key (SPKI PEM)', spkiPem(ec.publicKey)],
  ['an RSA public key (PKCS#1 PEM)', rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString()],
  ['a private key (PKCS#8 PEM)', pkcs8Pem(ed.privateKey)],
  ['a PEM without its line breaks, inside other text', `key: ${spkiPem(ec.publicKey).replace(/\n/g, '')}`],
  ['a certificate-like PEM block', '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2VydGlmaWNhdGUgbm90IHBhcnNlZA==\n-----END CERTIFICATE-----'],
  ['a public JWK', JSON.stringify(ed.publicKey.export({ format: 'jwk' }))],
  ['a private JWK', JSON.stringify(ec.privateKey.export({ format: 'jwk' }))],
  ['a JWK Set', JSON.stringify({ keys: [ed.publicKey.export({ format: 'jwk' })] })],
  ['an oct JWK (a secret wrapped as a key)', JSON.stringify({ kty: 'oct', k: randomBytes(32).toString('base64url') })],
  ['a P-256 public key as base64 DER (SPKI)', ec.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')],
  ['an RSA public key as base64url DER (SPKI)', rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64url')],
  ['a private key as base64 DER (PKCS#8)', ed.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64')],
  ['an RSA public key as hex DER (PKCS#1)', rsa.publicKey.export({ type: 'pkcs1', format: 'der' }).toString('hex')],
  ['a whole PEM in base64 (as a Kubernetes secret holds it)', Buffer.from(spkiPem(ed.publicKey)).toString('base64')]
]

// What a message must never show: the secret, or any line of it.
function leaked (message: string, secret: string): boolean {
  return secret.split(/[\n"]/).some((part) => part.length >= 16 && !part.startsWith('-----') && message.includes(part))
}

t.test('JWT_SECRET, a JWT_KEYS secret and REFRESH_TOKEN_SECRET holding key material are refused at start', async (t) => {
  for (const [what, material] of KEY_MATERIAL) {
    const places: Array<[string, Record<string, string>, RegExp]> = [
      ['JWT_SECRET', { JWT_SECRET: material }, /JWT_SECRET holds key material \(.+\), not a secret/],
      ['a JWT_KEYS secret', { JWT_KEYS: JSON.stringify([{ kid: 'new', secret: randomBytes(32).toString('hex') }, { kid: 'old', secret: material }]) },
        /JWT_KEYS\[1\] \(kid "old"\) has a "secret" that holds key material \(.+\), not a secret/],
      ['REFRESH_TOKEN_SECRET', { JWT_SECRET: TEST_JWT_SECRET, AUTH_STRATEGY: 'refresh', REFRESH_TOKEN_SECRET: material },
        /REFRESH_TOKEN_SECRET holds key material \(.+\), not a secret/]
    ]
    for (const [where, env, message] of places) {
      const error = configError(env)
      t.match(error?.message, message, `${where} = ${what}: refused`)
      t.notOk(leaked(error?.message ?? '', material), `${where} = ${what}: the message does not repeat it`)
    }
  }
  t.equal(configError({ JWT_SECRET: randomBytes(48).toString('base64') }), undefined, 'a random base64 secret loads')
  t.equal(configError({ JWT_SECRET: randomBytes(32).toString('hex') }), undefined, 'a random hex secret loads')
  t.equal(configError({ JWT_SECRET: '{"not":"a key","but":"json of 32 characters or more"}' }), undefined, 'JSON without "kty" loads')
  t.equal(configError({ JWT_SECRET: TEST_JWT_SECRET }), undefined, 'a passphrase loads')
})

t.test('the token codec itself refuses key material as an HS256 key, whoever built its keys', async (t) => {
  for (const [what, material] of KEY_MATERIAL) {
    t.throws(() => sessionTokenCodec({ keys: [{ secret: material }] }), /holds key material/, `${what}: refused`)
  }
  const codec = sessionTokenCodec({ keys: [{ secret: TEST_JWT_SECRET }] })
  const claims = { userId: 1, userType: 'user' as const, sid: newSessionId(), iat: 1, auth_time: 1 }
  t.same(codec.verify(codec.sign(claims)), claims, 'a secret still signs and verifies')
})
