import type { User } from '../users/user-repository.js'
import { deviceLabel } from './device-label.js'
import type { SessionStart } from './session-service.js'

// What the login request says of the client: the raw User-Agent header among it.
export interface LoginClient {
  userAgent?: string
  ip: string
  deviceId?: string
}

// The session a login starts: the user, and the device as a short label rather than the
// User-Agent header (see deviceLabel), which is not stored.
export function loginSessionStart (user: Pick<User, 'id' | 'userType' | 'account'>, client: LoginClient): SessionStart {
  return {
    userId: user.id,
    userType: user.userType,
    account: user.account,
    deviceId: client.deviceId,
    userAgent: deviceLabel(client.userAgent),
    ip: client.ip
  }
}
