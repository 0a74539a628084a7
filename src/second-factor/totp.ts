import { timingSafeEqual } from 'node:crypto'
import { HOTP, Secret, TOTP } from 'otpauth'

// RFC 6238 as authenticator apps use it: HMAC-SHA-1, 6 digits, a 30-second step, a secret of
// 20 random bytes given to the app in base32 (the key length RFC 4226 recommends for SHA-1).
export const TOTP_PERIOD_SECONDS = 30
export const TOTP_DIGITS = 6
const TOTP_ALGORITHM = 'SHA1'
const SECRET_BYTES = 20
// A code of the step before or after the current one is accepted: the phone's clock may be off
// by a few seconds, and a code typed at the end of its step arrives in the next.
export const ACCEPTED_STEP_DRIFT = 1
const MS_PER_SECOND = 1000
const CODE_PATTERN = new RegExp(`^[0-9]{${TOTP_DIGITS}}$`)

// A new secret, base32 without padding (what the app shows and the otpauth URI carries).
export function newTotpSecret (): string {
  return new Secret({ size: SECRET_BYTES }).base32
}

// The `otpauth://totp/Issuer:account?secret=...` URI an authenticator app reads from a QR code.
export function otpauthUri (secret: string, issuer: string, account: string): string {
  return new TOTP({ issuer, label: account, secret: Secret.fromBase32(secret), algorithm: TOTP_ALGORITHM, digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS }).toString()
}

export function totpStepAt (nowMs: number): number {
  return Math.floor(nowMs / MS_PER_SECOND / TOTP_PERIOD_SECONDS)
}

// The code of one step (tests compute what an app would show).
export function totpCodeAt (secret: string, step: number): string {
  return HOTP.generate({ secret: Secret.fromBase32(secret), algorithm: TOTP_ALGORITHM, digits: TOTP_DIGITS, counter: step })
}

export function looksLikeTotpCode (code: string): boolean {
  return CODE_PATTERN.test(code)
}

// The step whose code this is, within the accepted drift of now; undefined for a wrong code. The
// newest matching step is answered, so that a replay check on it is the strictest. Compared in
// constant time.
export function matchingTotpStep (secret: string, code: string, nowMs: number): number | undefined {
  if (!looksLikeTotpCode(code)) return undefined
  const given = Buffer.from(code)
  const current = totpStepAt(nowMs)
  for (let step = current + ACCEPTED_STEP_DRIFT; step >= current - ACCEPTED_STEP_DRIFT; step--) {
    if (timingSafeEqual(Buffer.from(totpCodeAt(secret, step)), given)) return step
  }
  return undefined
}
