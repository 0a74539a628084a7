import t from 'tap'
import { buildTestApp } from '../../helpers/build-app.js'
import { createAndLogIn, TEST_PASSWORD } from '../../helpers/sessions.js'
import { appOptions, SLIDING } from '../../helpers/strategies.js'

// Control characters in stored strings are refused by the schema (400 "1400"): PostgreSQL
// refuses NUL in text, which used to surface as a 500 with a stack trace. So are format
// characters (Unicode Cf): a right-to-left override or an invisible space in a device label or
// an account would make a session list show something other than what it holds.

const CONTROL_CHARACTERS = ['\u0000', '\u0001', '\t', '\n', '\u001b', '\u007f', '\u0085', '\u009f']
const FORMAT_CHARACTERS = [
  '\u00ad', '\u061c', '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u202a', '\u202e', '\u2060', '\u2066', '\u2067', '\u2068', '\u2069',
  '\ufeff', '\u{e0001}'
]

t.test('control characters in account and deviceId', async (t) => {
  const { app } = await buildTestApp(t, appOptions(SLIDING))
  const admin = await createAndLogIn(app, 'admin')

  async function answer (url: string, payload: Record<string, unknown>, token?: string): Promise<[number, string]> {
    const res = await app.inject({ method: 'POST', url, payload, headers: token === undefined ? {} : { token } })
    return [res.statusCode, res.json<{ errorCode?: string }>().errorCode ?? '']
  }

  for (const char of [...CONTROL_CHARACTERS, ...FORMAT_CHARACTERS]) {
    const name = `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`
    const account = `ada${char}@example.com`
    t.same(await answer('/auth/register', { account, password: TEST_PASSWORD }), [400, '1400'], `register, account with ${name}`)
    t.same(await answer('/auth/login', { account, password: TEST_PASSWORD }), [400, '1400'], `login, account with ${name}`)
    t.same(await answer('/auth/login', { account: admin.account, password: TEST_PASSWORD, deviceId: `phone${char}` }), [400, '1400'],
      `login, deviceId with ${name}`)
    t.same(await answer('/admin/revoke', { account }, admin.token), [400, '1400'], `admin revoke, account with ${name}`)
    t.same(await answer('/admin/revoke', { userId: admin.userId, deviceId: `phone${char}` }, admin.token), [400, '1400'],
      `admin revoke, deviceId with ${name}`)
  }

  // What stays allowed: letters beyond ASCII, emoji, inner and surrounding spaces (trimmed).
  for (const account of ['José@example.com', '名前@example.jp', 'ada 😀@example.com', ' padded@example.com ']) {
    t.same(await answer('/auth/register', { account, password: TEST_PASSWORD }), [201, ''], `register ${JSON.stringify(account)}`)
  }
  t.same(await answer('/auth/register', { account: ' \u00a0 ', password: TEST_PASSWORD }), [400, '1400'], 'an account of spaces only')
  const said = await app.inject({ method: 'POST', url: '/auth/register', payload: { account: 'ada\u0000@example.com', password: TEST_PASSWORD } })
  t.equal(said.json<{ info: string }>().info, 'body/account must contain a character that is not a space, and no control or format characters',
    'the answer says what is wrong in words, not as a regular expression')
  const device = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: admin.account, password: TEST_PASSWORD, deviceId: 'a\tb' } })
  t.equal(device.json<{ info: string }>().info, 'body/deviceId must not contain control or format characters', 'the same for deviceId')
  const spoofed = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: admin.account, password: TEST_PASSWORD, deviceId: 'Work laptop \u202eenohp' } })
  t.equal(spoofed.json<{ info: string }>().info, 'body/deviceId must not contain control or format characters', 'a right-to-left override')
  t.same(await answer('/auth/register', { account: '\u200b', password: TEST_PASSWORD }), [400, '1400'], 'an account of a zero-width space only')
  t.same(await answer('/auth/login', { account: admin.account, password: TEST_PASSWORD, deviceId: 'Pixel 8 — büro' }), [200, ''],
    'a deviceId with spaces and letters beyond ASCII')
})
