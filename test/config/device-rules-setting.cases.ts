import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { sessionPolicyOf } from '../../src/config/session-policies.js'
import { loadConfig } from '../../src/config/load-config.js'
import { TEST_JWT_SECRET } from '../helpers/build-app.js'
import { configError } from '../helpers/config-error.js'

// SESSION_DEVICE_RULES (docs/configuration.md) is checked whole at start: a typo in a rule would
// otherwise show only as a rule that silently does not apply.

function rulesError (value: string): string | undefined {
  return configError({ JWT_SECRET: TEST_JWT_SECRET, SESSION_DEVICE_RULES: value })?.message
}

function rulesOf (value: string | undefined): unknown {
  const config = loadConfig({ JWT_SECRET: TEST_JWT_SECRET, ...(value === undefined ? {} : { SESSION_DEVICE_RULES: value }) })
  return Object.fromEntries(sessionPolicyOf(config).deviceRules)
}

t.test('SESSION_DEVICE_RULES: a JSON object or a file holding one; onOverflow defaults to end_oldest', async (t) => {
  t.same(rulesOf(undefined), {}, 'unset: no rules')
  const rules = { phone: { maxSessions: 1 }, tv: { maxSessions: 2, onOverflow: 'refuse_new' }, web: { idleTtl: 7200, maxLifetime: 0 } }
  const expected = {
    phone: { maxSessions: 1, onOverflow: 'end_oldest' },
    tv: { maxSessions: 2, onOverflow: 'refuse_new' },
    web: { onOverflow: 'end_oldest', idleTtlSeconds: 7200, maxLifetimeSeconds: 0 }
  }
  t.same(rulesOf(JSON.stringify(rules)), expected, 'parsed from the value')
  t.same(rulesOf(`  ${JSON.stringify(rules)}`), expected, 'leading blanks before the object')

  const dir = mkdtempSync(join(tmpdir(), 'auth-device-rules-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const file = join(dir, 'device-rules.json')
  writeFileSync(file, `${JSON.stringify(rules)}\n`)
  t.same(rulesOf(file), expected, 'read from a file')
  t.match(rulesError(join(dir, 'missing.json')), /SESSION_DEVICE_RULES is neither a JSON object nor a readable file \(ENOENT: .*missing\.json\)/,
    'a path that cannot be read')
  for (const [contents, name] of [['[]', 'a list'], ['null', 'null'], ['"phone"', 'a string']] as const) {
    writeFileSync(file, contents)
    t.match(rulesError(file), /SESSION_DEVICE_RULES must be a JSON object of device type → rules/, `a file holding ${name}`)
  }
})

t.test('SESSION_DEVICE_RULES: each refusal names the type and what is wrong', async (t) => {
  const refusals: Array<[value: unknown, message: RegExp, why: string]> = [
    [{ Phone: {} }, /names the device type "Phone"; a type is a lowercase letter/, 'a type name out of the pattern'],
    [{ 'a-very-long-device-type': {} }, /names the device type "a-very-long-device-type"/, 'a type name too long'],
    [{ phone: 1 }, /"phone" must be an object of rules/, 'a rule that is not an object'],
    [{ phone: [] }, /"phone" must be an object of rules/, 'a rule that is a list'],
    [{ phone: { maxSession: 1 } }, /"phone" has the unknown rule "maxSession"; the rules are maxSessions, onOverflow, idleTtl, maxLifetime/, 'a misspelt rule'],
    [{ phone: { maxSessions: 0 } }, /"phone" "maxSessions" must be an integer from 1 to 1000/, 'maxSessions 0'],
    [{ phone: { maxSessions: 1001 } }, /"maxSessions" must be an integer from 1 to 1000/, 'maxSessions past the bound'],
    [{ phone: { maxSessions: 1.5 } }, /"maxSessions" must be an integer/, 'maxSessions not whole'],
    [{ phone: { maxSessions: '1' } }, /"maxSessions" must be an integer/, 'maxSessions a string'],
    [{ phone: { maxSessions: 1, onOverflow: 'drop' } }, /"phone" "onOverflow" must be one of end_oldest, refuse_new/, 'an unknown onOverflow'],
    [{ phone: { onOverflow: 'refuse_new' } }, /"phone" has "onOverflow" without "maxSessions"/, 'onOverflow without a cap'],
    [{ web: { idleTtl: 0 } }, /"web" "idleTtl" must be a whole number of seconds, at least 1/, 'idleTtl 0'],
    [{ web: { idleTtl: 10.5 } }, /"idleTtl" must be a whole number of seconds/, 'idleTtl not whole'],
    [{ web: { maxLifetime: -1 } }, /"web" "maxLifetime" must be a whole number of seconds \(0: none\)/, 'a negative maxLifetime']
  ]
  for (const [value, message, why] of refusals) t.match(rulesError(JSON.stringify(value)), message, why)
  t.match(rulesError('{"phone": {"maxSessions": 1}'), /SESSION_DEVICE_RULES is not a JSON object of device type → rules/, 'JSON cut short')
  t.equal(rulesError(JSON.stringify({ web: { maxLifetime: 0 } })), undefined, 'maxLifetime 0 (none) is a rule')
  t.match(configError({ JWT_SECRET: TEST_JWT_SECRET, SESSION_TTL_NOT_REMEMBERED: '0' })?.message, /SESSION_TTL_NOT_REMEMBERED/,
    'SESSION_TTL_NOT_REMEMBERED must be at least 1')
})
