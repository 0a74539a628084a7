import { describeDevice } from './describe-device.js'
import { dangerButton, elementById } from './dom.js'
import { absoluteTime, timeAgo } from './format-time.js'
import type { SessionInfo } from './sdk.js'

export type SignOutHandler = (session: SessionInfo, device: string) => void

const list = elementById('session-list', HTMLUListElement)

export function renderSessions (sessions: readonly SessionInfo[], onSignOut: SignOutHandler): void {
  list.replaceChildren(...sessions.map((session) => sessionItem(session, onSignOut)))
}

function sessionItem (session: SessionInfo, onSignOut: SignOutHandler): HTMLLIElement {
  const device = describeDevice(session)
  const item = document.createElement('li')
  item.className = 'session'
  item.dataset.sessionId = session.id
  item.dataset.current = String(session.current)

  const name = document.createElement('p')
  name.className = 'session-device'
  name.textContent = device
  // The kind of device the app said it is (phone, tv, ...), whose rules the session follows.
  if (typeof session.deviceType === 'string') {
    const type = document.createElement('span')
    type.className = 'device-type'
    type.textContent = `(${session.deviceType})`
    name.append(type)
  }
  if (session.current) {
    const badge = document.createElement('span')
    badge.className = 'this-device'
    badge.textContent = 'This device'
    name.append(badge)
  }

  const times = document.createElement('p')
  times.className = 'session-times'
  const loginTime = absoluteTime(session.loginAt)
  times.append('Signed in ', loginTime)
  if (typeof session.lastSeenAt === 'number') times.append(' · last seen ', timeAgo(session.lastSeenAt))
  times.append(` · ${session.ip}`)

  const details = document.createElement('div')
  details.className = 'session-details'
  details.append(name, times)

  const signOut = dangerButton(
    session.current ? 'Sign out here' : 'Sign out',
    session.current ? `Sign out this device (${device})` : `Sign out ${device}, signed in ${loginTime.textContent ?? ''}`,
    () => { onSignOut(session, device) })

  item.append(details, signOut)
  return item
}
