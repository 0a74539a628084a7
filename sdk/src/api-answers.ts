import type { UserId } from '../../contract/api-contract.js'
import type { Me, SessionInfo, TotpSetup } from './types.js'

// The server's answers, checked before they are handed to the app.

function unexpected (what: string): Error {
  return new Error(`The server answered with an unexpected ${what}`)
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

// A number or a string, handed to the app as the server sent it (the server checks its form).
export function isUserId (value: unknown): value is UserId {
  return typeof value === 'number' || typeof value === 'string'
}

export function asMe (value: unknown): Me {
  if (!isRecord(value)) throw unexpected('user')
  const { userId, userType, deviceType, account, sessionId, authAt, amr } = value
  if (!isUserId(userId) || (userType !== 'user' && userType !== 'admin') ||
      typeof account !== 'string' || typeof sessionId !== 'string' || typeof authAt !== 'number') {
    throw unexpected('user')
  }
  // null for a session without a device type (and from a server older than device types).
  return { userId, userType, deviceType: typeof deviceType === 'string' ? deviceType : null, account, sessionId, authAt, amr: amrOf(amr) }
}

// [] from a server older than amr.
function amrOf (value: unknown): string[] {
  return Array.isArray(value) ? value.filter((label): label is string => typeof label === 'string') : []
}

function asSessionInfo (value: unknown): SessionInfo {
  if (!isRecord(value)) throw unexpected('session')
  const { id, deviceId, deviceType, userAgent, ip, loginAt, lastSeenAt, authAt, amr, current } = value
  if (typeof id !== 'string' || typeof ip !== 'string' || typeof loginAt !== 'number' || typeof authAt !== 'number' || typeof current !== 'boolean') {
    throw unexpected('session')
  }
  // The server says null for a device or user agent it was not told.
  return {
    id,
    ip,
    loginAt,
    authAt,
    amr: amrOf(amr),
    current,
    ...(typeof deviceId === 'string' ? { deviceId } : {}),
    ...(typeof deviceType === 'string' ? { deviceType } : {}),
    ...(typeof userAgent === 'string' ? { userAgent } : {}),
    ...(typeof lastSeenAt === 'number' ? { lastSeenAt } : {})
  }
}

export function asSessionList (value: unknown): SessionInfo[] {
  const sessions = isRecord(value) ? value.sessions : undefined
  if (!Array.isArray(sessions)) throw unexpected('session list')
  return sessions.map(asSessionInfo)
}

export function asAuthAt (value: unknown): number {
  const authAt = isRecord(value) ? value.authAt : undefined
  if (typeof authAt !== 'number') throw unexpected('re-authentication')
  return authAt
}

export function asRevokedCount (value: unknown): number {
  const revoked = isRecord(value) ? value.revoked : undefined
  if (typeof revoked !== 'number') throw unexpected('count of ended sessions')
  return revoked
}

export function asTotpEnabled (value: unknown): boolean {
  const enabled = isRecord(value) ? value.enabled : undefined
  if (typeof enabled !== 'boolean') throw unexpected('second-factor status')
  return enabled
}

export function asTotpSetup (value: unknown): TotpSetup {
  const { secret, otpauthUri } = isRecord(value) ? value : {}
  if (typeof secret !== 'string' || typeof otpauthUri !== 'string') throw unexpected('second-factor setup')
  return { secret, otpauthUri }
}

export function asBackupCodes (value: unknown): string[] {
  const backupCodes = isRecord(value) ? value.backupCodes : undefined
  if (!Array.isArray(backupCodes) || !backupCodes.every((code) => typeof code === 'string')) throw unexpected('list of backup codes')
  return backupCodes
}
