import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadOrCreateDevelopmentDataKey } from '../../src/config/data-encryption-key.js'
import { loadConfig } from '../../src/config/load-config.js'
import { DataCipher, dataKeyId } from '../../src/crypto/data-cipher.js'
import { BackupCodeDigester, looksLikeBackupCode, newBackupCodes, normalizeBackupCode } from '../../src/second-factor/backup-codes.js'
import { matchingTotpStep, otpauthUri, totpCodeAt, totpStepAt } from '../../src/second-factor/totp.js'
import { TEST_JWT_SECRET } from '../helpers/build-app.js'

t.test('AES-256-GCM sealing: opens for its context and key only, and says which key sealed it', async (t) => {
  const key = randomBytes(32)
  const cipher = new DataCipher([key])
  const sealed = cipher.seal(Buffer.from('JBSWY3DPEHPK3PXP'), 'totp:1')
  t.notMatch(sealed, /JBSWY3DPEHPK3PXP/, 'the plaintext is not in it')
  t.equal(Buffer.from(sealed, 'base64url')[0], dataKeyId(key), 'its first byte is the key id')
  t.equal(cipher.open(sealed, 'totp:1').toString(), 'JBSWY3DPEHPK3PXP')
  t.not(cipher.seal(Buffer.from('JBSWY3DPEHPK3PXP'), 'totp:1'), sealed, 'a fresh nonce each time')
  t.throws(() => cipher.open(sealed, 'totp:2'), 'another context (another user) does not open it')
  const tampered = Buffer.from(sealed, 'base64url')
  tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1
  t.throws(() => cipher.open(tampered.toString('base64url'), 'totp:1'), 'a changed byte is refused')
  t.throws(() => new DataCipher([randomBytes(32)]).open(sealed, 'totp:1'), /no data encryption key has id/, 'another key: an unknown key id')
  const rotated = new DataCipher([randomBytes(32), key])
  t.equal(rotated.open(sealed, 'totp:1').toString(), 'JBSWY3DPEHPK3PXP', 'a key that no longer seals still opens its values')
  t.throws(() => new DataCipher([randomBytes(16)]), /32 bytes/)
})

t.test('DATA_ENCRYPTION_KEY: hex or base64, required in production, generated under DATA_DIR elsewhere', async (t) => {
  const key = randomBytes(32)
  t.same(loadConfig({ JWT_SECRET: TEST_JWT_SECRET, DATA_ENCRYPTION_KEY: key.toString('hex') }).dataEncryptionKey, key, 'hex')
  t.same(loadConfig({ JWT_SECRET: TEST_JWT_SECRET, DATA_ENCRYPTION_KEY: key.toString('base64') }).dataEncryptionKey, key, 'base64')
  t.same(loadConfig({ JWT_SECRET: TEST_JWT_SECRET, DATA_ENCRYPTION_KEY: key.toString('base64url') }).dataEncryptionKey, key, 'base64url')
  t.throws(() => loadConfig({ JWT_SECRET: TEST_JWT_SECRET, DATA_ENCRYPTION_KEY: randomBytes(16).toString('hex') }), /DATA_ENCRYPTION_KEY must be 32 bytes/)
  t.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET }), /DATA_ENCRYPTION_KEY .* is required when NODE_ENV=production/)
  const dataDir = mkdtempSync(join(tmpdir(), 'data-key-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  t.equal(loadConfig({ JWT_SECRET: TEST_JWT_SECRET, DATA_DIR: dataDir }).dataEncryptionKey, undefined, 'outside production reading the config writes nothing')
  const first = loadOrCreateDevelopmentDataKey(dataDir)
  t.equal(first.path, join(dataDir, 'data-encryption-key'))
  t.equal(readFileSync(first.path, 'utf8'), first.key.toString('hex'), 'kept as hex')
  t.same(loadOrCreateDevelopmentDataKey(dataDir).key, first.key, 'the same key after a restart')
})

t.test('RFC 6238 codes, ±1 step, and the otpauth URI an authenticator app reads', async (t) => {
  // RFC 6238's SHA-1 test secret ("12345678901234567890") and its 8-digit vector at 59 s, whose
  // last six digits are the 6-digit code.
  const rfcSecret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
  t.equal(totpCodeAt(rfcSecret, totpStepAt(59_000)), '287082')
  t.equal(totpCodeAt(rfcSecret, totpStepAt(1_111_111_109_000)), '081804')
  const nowMs = 1_111_111_109_000
  const step = totpStepAt(nowMs)
  t.equal(matchingTotpStep(rfcSecret, totpCodeAt(rfcSecret, step - 1), nowMs), step - 1, 'the step before')
  t.equal(matchingTotpStep(rfcSecret, totpCodeAt(rfcSecret, step + 1), nowMs), step + 1, 'the step after')
  t.equal(matchingTotpStep(rfcSecret, totpCodeAt(rfcSecret, step - 2), nowMs), undefined, 'two steps back is too old')
  t.equal(matchingTotpStep(rfcSecret, 'abcdef', nowMs), undefined)
  const uri = new URL(otpauthUri(rfcSecret, 'Example Co', 'ann@example.com'))
  t.equal(uri.protocol, 'otpauth:')
  t.equal(uri.host + decodeURIComponent(uri.pathname), 'totp/Example Co:ann@example.com')
  t.match(Object.fromEntries(uri.searchParams), { secret: rfcSecret, issuer: 'Example Co', algorithm: 'SHA1', digits: '6', period: '30' })
})

t.test('backup codes: ten, distinct, typed in any case with or without the hyphen, digested per user', async (t) => {
  const codes = newBackupCodes()
  t.equal(codes.length, 10)
  t.equal(new Set(codes).size, 10)
  for (const code of codes) t.match(code, /^[a-z2-7]{5}-[a-z2-7]{5}$/)
  const [code = ''] = codes
  t.ok(looksLikeBackupCode(code.toUpperCase().replace('-', ' ')))
  t.equal(normalizeBackupCode(` ${code.toUpperCase()} `), code.replace('-', ''))
  const digester = new BackupCodeDigester(randomBytes(32))
  t.equal(digester.digest(1, code), digester.digest(1, code.toUpperCase().replace('-', '')))
  t.not(digester.digest(1, code), digester.digest(2, code), "another user's digest of the same code differs")
  t.notMatch(digester.digest(1, code), code.replace('-', ''))
})
