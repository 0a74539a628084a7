// The rules SESSION_DEVICE_RULES gives the sessions of a device type (docs/sessions.md).

/** What a login beyond a type's maxSessions does: end the oldest of that type, or start nothing. */
export const OVERFLOW_ACTIONS = ['end_oldest', 'refuse_new'] as const
export type OverflowAction = typeof OVERFLOW_ACTIONS[number]

// A session's deviceType: short, lowercase, safe in a metric label and a Redis hash.
export const DEVICE_TYPE_PATTERN = /^[a-z][a-z0-9_-]{0,15}$/

export interface DeviceRule {
  // Live sessions of this type one user may hold; undefined: no cap of its own.
  maxSessions?: number
  onOverflow: OverflowAction
  // Replace SESSION_TTL and SESSION_MAX_LIFETIME for sessions of this type.
  idleTtlSeconds?: number
  maxLifetimeSeconds?: number
}

export type DeviceRules = ReadonlyMap<string, DeviceRule>

export const NO_DEVICE_RULES: DeviceRules = new Map()

export function isDeviceType (value: unknown): value is string {
  return typeof value === 'string' && DEVICE_TYPE_PATTERN.test(value)
}
