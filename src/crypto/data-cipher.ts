import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

// AES-256-GCM for the little data that must be kept but must not be readable from a database
// dump alone (a TOTP secret). A sealed value is base64url of: one key id byte, the 12-byte
// nonce, the 16-byte tag, then the ciphertext. The key id names the key that sealed it, so a
// second key can be added later (the new one seals, both open) and old values keep opening.

export const DATA_KEY_BYTES = 32
const KEY_ID_BYTES = 1
const NONCE_BYTES = 12
const TAG_BYTES = 16
const HEADER_BYTES = KEY_ID_BYTES + NONCE_BYTES + TAG_BYTES
const ALGORITHM = 'aes-256-gcm'

export class UnknownDataKeyError extends Error {}

// A key's id: the first byte of its SHA-256, so that it needs no configuring. Two keys sharing it
// is refused where the keys are read (a 1-in-256 chance per pair, then one of them is regenerated).
export function dataKeyId (key: Buffer): number {
  return createHash('sha256').update(key).digest()[0] ?? 0
}

export class DataCipher {
  private readonly keys = new Map<number, Buffer>()
  private readonly sealingKeyId: number

  // The first key seals; every key opens what it sealed.
  constructor (keys: readonly [Buffer, ...Buffer[]]) {
    for (const key of keys) {
      if (key.length !== DATA_KEY_BYTES) throw new Error(`a data encryption key must be ${DATA_KEY_BYTES} bytes`)
      const id = dataKeyId(key)
      if (this.keys.has(id)) throw new Error('two data encryption keys share a key id: generate another')
      this.keys.set(id, key)
    }
    this.sealingKeyId = dataKeyId(keys[0])
  }

  // `context` (the user id, say) is authenticated but not stored: a value copied to another
  // row does not open there.
  seal (plaintext: Buffer, context: string): string {
    const key = this.keys.get(this.sealingKeyId)
    if (key === undefined) throw new Error('no sealing key')
    const nonce = randomBytes(NONCE_BYTES)
    const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES })
    cipher.setAAD(Buffer.from(context))
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
    return Buffer.concat([Buffer.from([this.sealingKeyId]), nonce, cipher.getAuthTag(), ciphertext]).toString('base64url')
  }

  // Throws when the value was tampered with, sealed for another context, or by a key not configured.
  open (sealed: string, context: string): Buffer {
    const bytes = Buffer.from(sealed, 'base64url')
    if (bytes.length < HEADER_BYTES) throw new Error('a sealed value is too short')
    const keyId = bytes[0] ?? -1
    const key = this.keys.get(keyId)
    if (key === undefined) throw new UnknownDataKeyError(`no data encryption key has id ${keyId}: was DATA_ENCRYPTION_KEY changed?`)
    const nonce = bytes.subarray(KEY_ID_BYTES, KEY_ID_BYTES + NONCE_BYTES)
    const tag = bytes.subarray(KEY_ID_BYTES + NONCE_BYTES, HEADER_BYTES)
    const decipher = createDecipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES })
    decipher.setAAD(Buffer.from(context))
    decipher.setAuthTag(tag)
    return Buffer.concat([decipher.update(bytes.subarray(HEADER_BYTES)), decipher.final()])
  }
}
