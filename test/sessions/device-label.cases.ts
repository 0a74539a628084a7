import t from 'tap'
import { DEVICE_LABEL_MAX_BYTES, deviceLabel } from '../../src/sessions/device-label.js'
import { utf8Prefix } from '../../src/sessions/utf8-prefix.js'

const CHROME_ON_MACOS = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Chrome/131.0.0.0 Safari/537.36'
const SAFARI_ON_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 ' +
  '(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'
const FIREFOX_ON_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0'
const EDGE_ON_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'
const CHROME_ON_ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Chrome/131.0.6778.104 Mobile Safari/537.36'

t.test('a browser is its name, major version and operating system', async (t) => {
  t.equal(deviceLabel(CHROME_ON_MACOS), 'Chrome 131 on macOS')
  t.equal(deviceLabel(SAFARI_ON_IPHONE), 'Safari 17 on iOS')
  t.equal(deviceLabel(FIREFOX_ON_WINDOWS), 'Firefox 133 on Windows')
  t.equal(deviceLabel(EDGE_ON_WINDOWS), 'Microsoft Edge 131 on Windows')
  t.equal(deviceLabel(CHROME_ON_ANDROID), 'Chrome 131 on Android')
})

t.test('a client that is no known browser keeps the start of its header', async (t) => {
  t.equal(deviceLabel('curl/8.5.0'), 'curl/8.5.0')
  t.equal(deviceLabel('python-requests/2.31.0'), 'python-requests/2.31.0')
  t.equal(deviceLabel('MyApp/2.3 (iPhone; iOS 17.5)'), 'MyApp 2 on iOS', 'an app agent in the usual form is read too')
  t.equal(deviceLabel(`custom-agent/1.0 ${'x'.repeat(200)}`), 'custom-agent 1', 'name/version is read as one')
  const long = `an agent without a version ${'x'.repeat(200)}`
  t.equal(deviceLabel(long), long.slice(0, DEVICE_LABEL_MAX_BYTES))
})

t.test('no header, no label', async (t) => {
  t.equal(deviceLabel(undefined), undefined)
  t.equal(deviceLabel(''), undefined)
  t.equal(deviceLabel('   '), undefined)
})

t.test('a label never exceeds Redis\' compact value limit, counted in bytes', async (t) => {
  const accented = 'é'.repeat(100)
  const label = deviceLabel(accented) ?? ''
  t.equal(Buffer.byteLength(label), DEVICE_LABEL_MAX_BYTES)
  t.equal(label, 'é'.repeat(DEVICE_LABEL_MAX_BYTES / 2))
})

t.test('utf8Prefix never splits a character', async (t) => {
  t.equal(utf8Prefix('abc', 3), 'abc')
  t.equal(utf8Prefix('aé', 2), 'a', 'the two-byte é does not fit in the second byte')
  t.equal(utf8Prefix('a😀b', 4), 'a', 'nor half of a surrogate pair')
  t.equal(utf8Prefix('a😀b', 5), 'a😀')
})
