// An IPv4 address is stored as one signed 32-bit integer (the address minus 2³¹) rather than
// its 7–15 characters of text: Redis keeps such a value in 6 bytes of a listpack, where the text
// takes up to 17, one of the savings that move a browser session's hash into a smaller
// allocation class (docs/redis-keys.md#what-a-session-costs). Text with digits only is never an address (IPv4 has dots, IPv6 colons), so the
// two forms cannot be mistaken for each other; IPv6 and anything else stay text.
// 0–255 without a leading zero, as Node's net.isIP reads an IPv4 address.
const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`)
const INTEGER = /^-?\d+$/
const SIGN_OFFSET = 2 ** 31
const ADDRESS_SPACE = 2 ** 32

export function storedIp (ip: string): string {
  const octets = IPV4.exec(ip)
  if (octets === null) return ip
  const address = octets.slice(1).reduce((sum, octet) => sum * 256 + Number(octet), 0)
  return String(address - SIGN_OFFSET)
}

export function ipOfStored (stored: string): string {
  if (!INTEGER.test(stored)) return stored
  const address = Number(stored) + SIGN_OFFSET
  if (!Number.isSafeInteger(address) || address < 0 || address >= ADDRESS_SPACE) return stored
  return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join('.')
}
