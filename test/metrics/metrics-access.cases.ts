import t from 'tap'
import { ConfigError, loadConfig, type EnvSource } from '../../src/config/load-config.js'
import { parseMetricsAllow } from '../../src/config/metrics-allow.js'
import { isAllowedAddress } from '../../src/metrics/metrics-access.js'
import { buildTestApp, TEST_JWT_SECRET } from '../helpers/build-app.js'
import { getMetrics, SAMPLE_LINE } from '../helpers/metrics.js'

const TOKEN = 'a-metrics-token-of-32-characters'
const OUTSIDER = '203.0.113.7'

function configError (env: EnvSource): string | undefined {
  try {
    loadConfig({ JWT_SECRET: TEST_JWT_SECRET, ...env })
    return undefined
  } catch (error) {
    if (error instanceof ConfigError) return error.message
    throw error
  }
}

t.test('METRICS, METRICS_TOKEN and METRICS_ALLOW are checked at start', async (t) => {
  const defaults = loadConfig({ JWT_SECRET: TEST_JWT_SECRET })
  t.equal(defaults.METRICS, 'off', 'metrics are off by default')
  t.same(defaults.metricsAllow, [], 'and nothing but loopback is allowed')
  t.match(configError({ METRICS: 'yes' }), /METRICS must be equal to one of the allowed values/)
  t.match(configError({ METRICS_TOKEN: 'short' }), /METRICS_TOKEN must NOT have fewer than 16 characters/)
  t.match(configError({ METRICS_TOKEN: 'sixteen or more but with spaces' }), /METRICS_TOKEN must match pattern/)
  t.match(configError({ METRICS_ALLOW: '10.0.0.0/8, 10.0.0.300' }), /METRICS_ALLOW entry "10.0.0.300" is not an address or CIDR/)
  t.match(configError({ METRICS_ALLOW: '10.0.0.0/33' }), /METRICS_ALLOW entry "10.0.0.0\/33"/)
  t.match(configError({ METRICS_ALLOW: 'loopback' }), /METRICS_ALLOW entry "loopback"/, 'names are not ranges here')
  t.match(configError({ METRICS_ALLOW: '0x7f.1' }), /METRICS_ALLOW entry "0x7f.1"/, 'IPv4 only in four-part decimal')
  t.equal(loadConfig({ JWT_SECRET: TEST_JWT_SECRET, METRICS_ALLOW: ' 10.0.0.0/8 ,fd00::/8, 192.0.2.1,::ffff:198.51.100.0/120 ' }).metricsAllow.length, 4)
})

t.test('an address is allowed when it is loopback or inside a range, IPv4 and IPv6, mapped or not', async (t) => {
  const allow = parseMetricsAllow('10.0.0.0/8,fd00::/8,192.0.2.1,::ffff:198.51.100.0/120')
  const cases: Array<[string | undefined, boolean]> = [
    ['127.0.0.1', true], ['127.9.9.9', true], ['::1', true], ['::ffff:127.0.0.1', true],
    ['10.200.0.1', true], ['::ffff:10.0.0.1', true], ['fd00::1234', true], ['192.0.2.1', true], ['192.0.2.2', false],
    ['198.51.100.99', true], ['198.51.101.1', false], ['fe80::1', false], [OUTSIDER, false], ['not-an-ip', false], [undefined, false]
  ]
  for (const [address, allowed] of cases) t.equal(isAllowedAddress(address, allow), allowed, `${address ?? 'no address'}: ${allowed ? 'allowed' : 'refused'}`)
  t.equal(isAllowedAddress('10.0.0.1', []), false, 'without an allow list, loopback only')
})

t.test('METRICS=off: no /metrics route at all', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await getMetrics(app)
  t.equal(res.statusCode, 404)
  t.equal(res.json().errorCode, '1404', 'the one error shape')
  t.notOk(app.hasRoute({ method: 'GET', url: '/metrics' }))
})

t.test('METRICS=on without token or allow list: loopback only, and a forwarded header never helps', async (t) => {
  const { app } = await buildTestApp(t, { env: { METRICS: 'on' } })
  for (const peer of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
    const res = await getMetrics(app, {}, peer)
    t.equal(res.statusCode, 200, `${peer} may read /metrics`)
    t.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8')
  }
  const outsider = await getMetrics(app, {}, OUTSIDER)
  t.equal(outsider.statusCode, 403, 'a non-loopback peer is refused')
  t.same(outsider.json(), { code: 0, errorCode: '1403', info: '/metrics is served to loopback and METRICS_ALLOW only' })
  const spoofed = await getMetrics(app, { 'x-forwarded-for': '127.0.0.1' }, OUTSIDER)
  t.equal(spoofed.statusCode, 403, 'an outsider writing X-Forwarded-For: 127.0.0.1 is refused')
  const relayed = await getMetrics(app, { 'x-forwarded-for': OUTSIDER }, '127.0.0.1')
  t.equal(relayed.statusCode, 403, 'a request relayed by an untrusted proxy on this host is refused, though its peer is loopback')
  const relayedStandard = await getMetrics(app, { forwarded: `for=${OUTSIDER}` }, '127.0.0.1')
  t.equal(relayedStandard.statusCode, 403, 'and so is one with a Forwarded header')
  // A proxy on this host may name the client in another header, or only say it relayed.
  const realIp = await getMetrics(app, { 'x-real-ip': '8.8.8.8' }, '127.0.0.1')
  t.equal(realIp.statusCode, 403, 'a loopback request with X-Real-IP and no token is refused')
  t.equal(realIp.json<{ errorCode: string }>().errorCode, '1403')
  const relayHeaders: Array<Record<string, string>> = [
    { via: '1.1 nginx' }, { 'x-forwarded-host': 'auth.example' }, { 'x-forwarded-proto': 'https' }, { 'x-forwarded-port': '443' },
    { 'true-client-ip': OUTSIDER }, { 'cf-connecting-ip': OUTSIDER }, { 'x-client-ip': OUTSIDER }
  ]
  for (const headers of relayHeaders) {
    t.equal((await getMetrics(app, headers, '127.0.0.1')).statusCode, 403, `a loopback request with ${Object.keys(headers).join('')}: refused`)
  }
})

t.test('TRUST_PROXY: the peer and the client it forwards must both be allowed', async (t) => {
  const { app } = await buildTestApp(t, { env: { METRICS: 'on', TRUST_PROXY: '127.0.0.1,10.0.0.0/8', METRICS_ALLOW: '10.0.0.0/8' } })
  t.equal((await getMetrics(app, { 'x-forwarded-for': OUTSIDER }, '127.0.0.1')).statusCode, 403,
    'a trusted proxy on loopback forwarding an outsider: refused')
  t.equal((await getMetrics(app, { 'x-forwarded-for': '10.9.9.9' }, '10.0.0.2')).statusCode, 200,
    'a trusted proxy in the allow list forwarding an allowed scraper: served')
  t.equal((await getMetrics(app, { 'x-forwarded-for': '127.0.0.1' }, OUTSIDER)).statusCode, 403,
    'an untrusted peer claiming loopback: refused')
  t.equal((await getMetrics(app, {}, '10.3.3.3')).statusCode, 200, 'a scraper inside the allow list, directly')
  t.equal((await getMetrics(app, { 'x-forwarded-for': '10.9.9.9', via: '1.1 proxy', 'x-forwarded-proto': 'https' }, '10.0.0.2')).statusCode, 200,
    'a trusted proxy that names the client in X-Forwarded-For may add Via and X-Forwarded-Proto')
  t.equal((await getMetrics(app, { 'x-real-ip': '10.9.9.9' }, '10.0.0.2')).statusCode, 403,
    'one that names it in X-Real-IP only (which TRUST_PROXY does not read): refused')
})

t.test('METRICS_ALLOW adds ranges, IPv4 and IPv6', async (t) => {
  const { app } = await buildTestApp(t, { env: { METRICS: 'on', METRICS_ALLOW: '10.0.0.0/8,fd00::/8' } })
  t.equal((await getMetrics(app, {}, '10.1.2.3')).statusCode, 200, 'inside the IPv4 range')
  t.equal((await getMetrics(app, {}, 'fd00::5')).statusCode, 200, 'inside the IPv6 range')
  t.equal((await getMetrics(app, {}, '127.0.0.1')).statusCode, 200, 'loopback still')
  t.equal((await getMetrics(app, {}, '192.168.1.1')).statusCode, 403, 'outside both')
})

t.test('METRICS_TOKEN: a bearer token is required, from any address', async (t) => {
  const { app } = await buildTestApp(t, { env: { METRICS: 'on', METRICS_TOKEN: TOKEN } })
  const refusals: Array<[string, Record<string, string>]> = [
    ['no Authorization header', {}],
    ['a wrong token', { authorization: `Bearer ${TOKEN}x` }],
    ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, 20)}` }],
    ['another scheme', { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }],
    ['the token without a scheme', { authorization: TOKEN }]
  ]
  for (const [what, headers] of refusals) {
    for (const peer of ['127.0.0.1', OUTSIDER]) {
      const res = await getMetrics(app, headers, peer)
      t.equal(res.statusCode, 401, `${what} from ${peer}: 401`)
      t.same(res.json(), { code: 0, errorCode: '1401', info: 'A valid bearer token is required' })
      t.equal(res.headers['www-authenticate'], 'Bearer')
    }
  }
  t.equal((await getMetrics(app, { authorization: `Bearer ${TOKEN}` }, OUTSIDER)).statusCode, 200, 'the token from any address')
  t.equal((await getMetrics(app, { authorization: `bearer ${TOKEN}` }, '127.0.0.1')).statusCode, 200, 'the scheme in any case')
  t.equal((await getMetrics(app, { authorization: `Bearer ${TOKEN}`, 'x-real-ip': OUTSIDER, via: '1.1 nginx' }, '127.0.0.1')).statusCode, 200,
    'relayed by a proxy on this host, the token is what counts')
})

t.test('METRICS_TOKEN with METRICS_ALLOW: both apply', async (t) => {
  const { app } = await buildTestApp(t, { env: { METRICS: 'on', METRICS_TOKEN: TOKEN, METRICS_ALLOW: '10.0.0.0/8' } })
  const withToken = { authorization: `Bearer ${TOKEN}` }
  t.equal((await getMetrics(app, withToken, '10.0.0.9')).statusCode, 200)
  t.equal((await getMetrics(app, withToken, OUTSIDER)).statusCode, 403, 'the token from outside the list')
  t.equal((await getMetrics(app, {}, '10.0.0.9')).statusCode, 401, 'inside the list without the token')
})

t.test('the answer is the Prometheus text format', async (t) => {
  const { app } = await buildTestApp(t, { env: { METRICS: 'on' } })
  await app.inject({ method: 'GET', url: '/health' })
  const { body } = await getMetrics(app)
  const lines = body.trimEnd().split('\n')
  const malformed = lines.filter((line) => line !== '' && !line.startsWith('# HELP ') && !line.startsWith('# TYPE ') && !SAMPLE_LINE.test(line))
  t.same(malformed, [], 'every line is a comment, a sample or a blank between metrics')
  t.ok(body.endsWith('\n'), 'ends with a newline')
  for (const line of [
    '# HELP auth_logins_total Login attempts by result',
    '# TYPE auth_logins_total counter',
    'auth_logins_total{result="success"} 0',
    '# TYPE auth_sessions_created_total counter',
    'auth_sessions_created_total{device_type="none"} 0',
    'auth_sessions_ended_total{reason="logout"} 0',
    '# TYPE auth_http_request_duration_seconds histogram',
    'auth_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/health",status_code="200"} 1',
    'auth_http_request_duration_seconds_count{method="GET",route="/health",status_code="200"} 1',
    '# TYPE auth_near_cache_enabled gauge',
    '# TYPE process_cpu_user_seconds_total counter',
    '# TYPE nodejs_eventloop_lag_seconds gauge'
  ]) t.ok(lines.includes(line), line)
  // Every metric has a HELP and a TYPE line, once.
  const typed = lines.filter((line) => line.startsWith('# TYPE ')).map((line) => line.split(' ')[2])
  t.equal(new Set(typed).size, typed.length, 'no metric is written twice')
  t.equal(lines.filter((line) => line.startsWith('# HELP ')).length, typed.length)
})
