import type { TotpSetupBody } from '../../contract/api-contract.js'
import type { Clock } from '../clock.js'
import type { DataCipher } from '../crypto/data-cipher.js'
import { NoSecondFactorError, SecondFactorExistsError } from '../errors/api-errors.js'
import { BackupCodeDigester, looksLikeBackupCode, newBackupCodes } from './backup-codes.js'
import type { PendingTotpSetups } from './pending-totp-setups.js'
import { looksLikeTotpCode, matchingTotpStep, newTotpSecret, otpauthUri } from './totp.js'
import type { TotpRepository } from './totp-repository.js'

export interface TotpSecondFactorParts {
  factors: TotpRepository
  pending: PendingTotpSetups
  cipher: DataCipher
  dataEncryptionKey: Buffer
  // The name an authenticator app shows beside the account (TOTP_ISSUER).
  issuer: string
  clock: Clock
}

// Which kind of code proved the factor.
export type AcceptedCode = 'totp' | 'backup_code'

// The sealed secret's context: a value copied to another user's row does not open there, nor a
// pending one as a confirmed one.
function factorContext (userId: number): string {
  return `totp:${userId}`
}

function pendingContext (userId: number): string {
  return `totp-setup:${userId}`
}

// The TOTP second factor of this server's own users: set up, confirmed, checked, removed.
export class TotpSecondFactor {
  private readonly digester: BackupCodeDigester

  constructor (private readonly parts: TotpSecondFactorParts) {
    this.digester = new BackupCodeDigester(parts.dataEncryptionKey)
  }

  async isEnabled (userId: number): Promise<boolean> {
    return await this.parts.factors.isEnabled(userId)
  }

  // A new secret, pending until confirmed; it replaces any pending one.
  async startSetup (userId: number, account: string): Promise<TotpSetupBody> {
    const { factors, pending, cipher, issuer } = this.parts
    if (await factors.isEnabled(userId)) throw new SecondFactorExistsError()
    const secret = newTotpSecret()
    await pending.put(userId, cipher.seal(Buffer.from(secret), pendingContext(userId)))
    return { secret, otpauthUri: otpauthUri(secret, issuer, account) }
  }

  // The backup codes once a current code of the pending secret confirms it; undefined for a
  // wrong code. The step of that code counts as used, so it cannot sign in afterwards.
  async confirm (userId: number, code: string): Promise<string[] | undefined> {
    const { factors, pending, cipher, clock } = this.parts
    const sealed = await pending.find(userId)
    if (sealed === undefined) throw new NoSecondFactorError('No two-factor setup is pending: POST /auth/2fa/totp/setup first')
    const secret = cipher.open(sealed, pendingContext(userId)).toString()
    const step = matchingTotpStep(secret, code, clock())
    if (step === undefined) return undefined
    const backupCodes = newBackupCodes()
    const digests = backupCodes.map((backupCode) => this.digester.digest(userId, backupCode))
    const enabled = await factors.enable(userId, cipher.seal(Buffer.from(secret), factorContext(userId)), step, digests)
    if (!enabled) throw new SecondFactorExistsError()
    await pending.remove(userId)
    return backupCodes
  }

  // Whether the code proves the factor now: a current TOTP (±1 step) newer than the last one
  // accepted, or an unused backup code, which this uses up. Undefined for a wrong, replayed or
  // used code, or a user without the factor.
  async verify (userId: number, code: string): Promise<AcceptedCode | undefined> {
    const { factors, cipher, clock } = this.parts
    if (looksLikeTotpCode(code)) {
      const factor = await factors.find(userId)
      if (factor === undefined) return undefined
      const secret = cipher.open(factor.sealedSecret, factorContext(userId)).toString()
      const step = matchingTotpStep(secret, code, clock())
      // Compared in the database, atomically: two requests with one code cannot both pass.
      return step !== undefined && await factors.useStep(userId, step) ? 'totp' : undefined
    }
    if (looksLikeBackupCode(code)) {
      return await factors.useBackupCode(userId, this.digester.digest(userId, code)) ? 'backup_code' : undefined
    }
    return undefined
  }

  // Removed after a code proves it (undefined: the code was wrong, nothing changed).
  async remove (userId: number, code: string): Promise<AcceptedCode | undefined> {
    if (!await this.parts.factors.isEnabled(userId)) throw new NoSecondFactorError('Two-factor authentication is not on')
    const accepted = await this.verify(userId, code)
    if (accepted === undefined) return undefined
    await this.parts.factors.remove(userId)
    return accepted
  }
}
