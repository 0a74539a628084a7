import type { SqlDatabase } from '../db/sql-database.js'

export interface StoredTotpFactor {
  userId: number
  // The secret sealed by DataCipher, with the user id as its context.
  sealedSecret: string
  enabledAt: Date
  // The last time step a code was accepted for; none yet: null.
  lastUsedStep: number | null
}

interface TotpFactorRow {
  user_id: number
  sealed_secret: string
  enabled_at: Date
  last_used_step: string | number | null
}

const UNIQUE_VIOLATION = '23505'

// The second factors in PostgreSQL (or PGlite, the same SQL). Each write that decides something
// is one conditional statement, so two requests racing cannot both win.
export class TotpRepository {
  constructor (private readonly db: SqlDatabase) {}

  async find (userId: number): Promise<StoredTotpFactor | undefined> {
    const [row] = await this.db.query<TotpFactorRow>(
      'SELECT user_id, sealed_secret, enabled_at, last_used_step FROM totp_factors WHERE user_id = $1', [userId])
    if (row === undefined) return undefined
    return {
      userId: row.user_id,
      sealedSecret: row.sealed_secret,
      enabledAt: row.enabled_at,
      lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step)
    }
  }

  async isEnabled (userId: number): Promise<boolean> {
    const rows = await this.db.query<{ user_id: number }>('SELECT user_id FROM totp_factors WHERE user_id = $1', [userId])
    return rows.length > 0
  }

  // The factor and its backup codes, in one transaction; false when the user has one already (a
  // second confirm racing the first).
  async enable (userId: number, sealedSecret: string, usedStep: number, backupCodeDigests: readonly string[]): Promise<boolean> {
    try {
      return await this.db.transaction(async (tx) => {
        await tx.query('INSERT INTO totp_factors (user_id, sealed_secret, last_used_step) VALUES ($1, $2, $3)', [userId, sealedSecret, usedStep])
        for (const digest of backupCodeDigests) {
          await tx.query('INSERT INTO totp_backup_codes (user_id, code_digest) VALUES ($1, $2)', [userId, digest])
        }
        return true
      })
    } catch (error) {
      if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) return false
      throw error
    }
  }

  // The factor and its backup codes (ON DELETE CASCADE); false when there was none.
  async remove (userId: number): Promise<boolean> {
    const rows = await this.db.query<{ user_id: number }>('DELETE FROM totp_factors WHERE user_id = $1 RETURNING user_id', [userId])
    return rows.length > 0
  }

  // Records that a code of `step` was accepted, unless one of this step or a later one was
  // already: a compare-and-set, so of two requests with the same code only one gets true.
  async useStep (userId: number, step: number): Promise<boolean> {
    const rows = await this.db.query<{ user_id: number }>(
      `UPDATE totp_factors SET last_used_step = $2
        WHERE user_id = $1 AND (last_used_step IS NULL OR last_used_step < $2) RETURNING user_id`,
      [userId, step])
    return rows.length > 0
  }

  // Marks the backup code used, if it is the user's and unused: of two requests with the same
  // code only one gets true.
  async useBackupCode (userId: number, digest: string): Promise<boolean> {
    const rows = await this.db.query<{ user_id: number }>(
      `UPDATE totp_backup_codes SET used_at = now()
        WHERE user_id = $1 AND code_digest = $2 AND used_at IS NULL RETURNING user_id`,
      [userId, digest])
    return rows.length > 0
  }
}
