import t from 'tap'
import { deviceLabel } from '../../src/sessions/device-label.js'
import { deviceLabelCode, deviceLabelOfCode } from '../../src/sessions/device-label-code.js'
import { ipOfStored, storedIp } from '../../src/sessions/stored-ip.js'

// The compact forms a session hash stores (docs/redis-keys.md#the-session-hash): each gives back
// exactly what it was made from, and what it cannot spell is stored as it is.

const CHROME_ON_MACOS = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Chrome/131.0.0.0 Safari/537.36'
// listpack keeps an integer in 5 bytes up to this (24 bits); a code must stay below it.
const LARGEST_24_BIT_INTEGER = 2 ** 23 - 1

t.test('a browser label is a code that spells it back', async (t) => {
  for (const label of ['Chrome 131 on macOS', 'Safari 17 on iOS', 'Microsoft Edge 131 on Windows', 'Firefox 133', 'Chrome on Android',
    'Samsung Internet for Android 27 on Android', 'LibreWolf 998 on Linux', 'Chrome 0 on macOS']) {
    const code = deviceLabelCode(label)
    t.type(code, 'number', label)
    t.equal(deviceLabelOfCode(code ?? -1), label, `${label}: ${code ?? ''}`)
    t.ok((code ?? Number.POSITIVE_INFINITY) <= LARGEST_24_BIT_INTEGER, 'in 24 bits')
  }
  t.equal(deviceLabelOfCode(deviceLabelCode(deviceLabel(CHROME_ON_MACOS) ?? '') ?? -1), 'Chrome 131 on macOS', 'the label of a real header')
})

t.test('a label the table cannot spell exactly has no code', async (t) => {
  for (const label of ['curl/8.5.0', 'ExampleNotes 4 on iOS', 'Chrome 131 on BeOS', 'Chrome 0131 on macOS', 'Chrome 999 on macOS',
    'Chrome 131 on macOS on Linux', 'Chrome  131 on macOS', 'Chrome 131 on ', '', '131', 'chrome 131 on macOS']) {
    t.equal(deviceLabelCode(label), undefined, JSON.stringify(label))
  }
})

t.test('a code no release wrote spells nothing', async (t) => {
  for (const code of [-1, 1.5, Number.NaN, 10_000_000, Number.MAX_SAFE_INTEGER + 2]) t.equal(deviceLabelOfCode(code), undefined, String(code))
})

t.test('an IPv4 address is a signed 32-bit integer, and back', async (t) => {
  for (const ip of ['0.0.0.0', '127.0.0.1', '203.0.113.45', '255.255.255.255', '10.0.0.255']) {
    const stored = storedIp(ip)
    t.match(stored, /^-?\d+$/, ip)
    t.ok(Math.abs(Number(stored)) <= 2 ** 31, 'within 32 bits, signed')
    t.equal(ipOfStored(stored), ip)
  }
  t.equal(storedIp('0.0.0.0'), String(-(2 ** 31)))
  t.equal(storedIp('255.255.255.255'), String(2 ** 31 - 1))
})

t.test('anything else is stored as text, and text is read as it is', async (t) => {
  for (const ip of ['', '::1', '2001:db8::1', '::ffff:127.0.0.1', '256.0.0.1', '01.2.3.4', '1.2.3', 'not an address']) {
    t.equal(storedIp(ip), ip, JSON.stringify(ip))
    t.equal(ipOfStored(ip), ip)
  }
  t.equal(ipOfStored(String(2 ** 31)), String(2 ** 31), 'an integer beyond the address space stays as it is')
  t.equal(ipOfStored(String(-(2 ** 31) - 1)), String(-(2 ** 31) - 1))
})
