// A device label such as "Chrome 131 on macOS" stored as one small integer instead of its text:
// in a browser session the text is the longest value, and the integer moves the whole hash into
// a smaller Redis allocation class (docs/redis-keys.md#what-a-session-costs). The dictionary is
// this fixed table rather than a Redis hash shared by all sessions: a shared key would lie in
// one Cluster slot, outside the user's `{<userId>}` tag the session scripts are limited to, cost
// a read per listing, and grow with every User-Agent a client invents. A label the table cannot
// spell (another browser, an app's own agent) is stored as text, as before.
//
// Stored codes must keep their meaning: entries are only ever appended, never reordered,
// renamed or removed.
const BROWSERS = [
  'Chrome', 'Safari', 'Firefox', 'Microsoft Edge', 'Opera', 'Samsung Internet for Android', 'Brave', 'Vivaldi',
  'Chromium', 'Yandex Browser', 'UC Browser', 'Internet Explorer', 'DuckDuckGo', 'Electron', 'Focus', 'LibreWolf'
] as const
const SYSTEMS = ['', 'macOS', 'Windows', 'iOS', 'Android', 'Linux', 'Chrome OS', 'iPadOS', 'HarmonyOS'] as const
// Major versions 0–998 are coded as version + 1; 0 stands for a label without a version.
const VERSION_SLOTS = 1000
const SYSTEM_SLOTS = SYSTEMS.length
const SYSTEM_SEPARATOR = / on /

function spell (browser: string, version: string, system: string): string {
  const name = version === '' ? browser : `${browser} ${version}`
  return system === '' ? name : `${name} on ${system}`
}

// The label's code, or undefined when the table cannot spell it exactly.
export function deviceLabelCode (label: string): number | undefined {
  const [head = '', system = '', ...rest] = label.split(SYSTEM_SEPARATOR)
  if (rest.length > 0) return undefined
  const systemIndex = SYSTEMS.indexOf(system as typeof SYSTEMS[number])
  const version = /^(.*?)(?: (0|[1-9]\d{0,2}))?$/.exec(head)
  const browserIndex = BROWSERS.indexOf((version?.[1] ?? '') as typeof BROWSERS[number])
  if (systemIndex < 0 || browserIndex < 0 || version === null) return undefined
  const versionSlot = version[2] === undefined ? 0 : Number(version[2]) + 1
  const code = (browserIndex * SYSTEM_SLOTS + systemIndex) * VERSION_SLOTS + versionSlot
  // Only a code that spells the very same text back is used (" on " inside a name, say, is not).
  return deviceLabelOfCode(code) === label ? code : undefined
}

// The label a code stands for; undefined for a code no release wrote.
export function deviceLabelOfCode (code: number): string | undefined {
  if (!Number.isSafeInteger(code) || code < 0) return undefined
  const versionSlot = code % VERSION_SLOTS
  const rest = Math.floor(code / VERSION_SLOTS)
  const browser = BROWSERS[Math.floor(rest / SYSTEM_SLOTS)]
  const system = SYSTEMS[rest % SYSTEM_SLOTS]
  if (browser === undefined || system === undefined) return undefined
  return spell(browser, versionSlot === 0 ? '' : String(versionSlot - 1), system)
}
