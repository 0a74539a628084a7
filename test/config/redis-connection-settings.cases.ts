import t from 'tap'
import { ConfigError } from '../../src/config/config-error.js'
import { loadConfig } from '../../src/config/load-config.js'
import { sessionCheckSettings } from '../../src/config/session-check-settings.js'
import { parseNatMap, wantsTls } from '../../src/redis/redis-tls.js'
import { TEST_JWT_SECRET } from '../helpers/build-app.js'

// Issue 23, item 12: the settings that say how Redis is reached, checked without a Redis (the
// connections themselves: test/redis/cluster-tls.test.ts).

t.test('TLS is on by REDIS_TLS=on, or by rediss:// in REDIS_URL or in any seed node', async (t) => {
  const url = 'redis://127.0.0.1:6379'
  t.equal(wantsTls({ REDIS_URL: url }), false, 'off by default')
  t.equal(wantsTls({ REDIS_URL: url, REDIS_TLS: 'on' }), true, 'REDIS_TLS=on')
  t.equal(wantsTls({ REDIS_URL: 'rediss://127.0.0.1:6379' }), true, 'a rediss:// REDIS_URL')
  t.equal(wantsTls({ REDIS_URL: 'rediss://127.0.0.1:6379', REDIS_CLUSTER_NODES: '10.0.0.1:6379' }), false, 'REDIS_URL is not read with a cluster')
  t.equal(wantsTls({ REDIS_URL: url, REDIS_CLUSTER_NODES: '10.0.0.1:6379,rediss://10.0.0.2:6379' }), true, 'one rediss:// seed')
  t.equal(wantsTls({ REDIS_URL: url, REDIS_CLUSTER_NODES: '10.0.0.1:6379', REDIS_TLS: 'off' }), false, 'plain seeds')
})

t.test('REDIS_CLUSTER_NAT_MAP: JSON or from=to pairs, each a host and a port', async (t) => {
  const target = { host: '203.0.113.7', port: 16379 }
  t.same(parseNatMap('{"10.0.0.1:6379":{"host":"203.0.113.7","port":16379}}'), { '10.0.0.1:6379': target }, 'JSON, ioredis\' own shape')
  t.same(parseNatMap('10.0.0.1:6379=203.0.113.7:16379, 10.0.0.2:6379=redis.example:6380'), {
    '10.0.0.1:6379': target, '10.0.0.2:6379': { host: 'redis.example', port: 6380 }
  }, 'from=to pairs')
  t.same(parseNatMap('[fd00::1]:6379=[2001:db8::7]:6379'), { 'fd00::1:6379': { host: '2001:db8::7', port: 6379 } }, 'IPv6 in brackets, looked up as ioredis spells it')
  const refused: Array<[string, RegExp]> = [
    ['{"10.0.0.1:6379":', /is not JSON/],
    ['{"10.0.0.1:6379"}', /is not JSON/],
    ['{"a": 1} ', /has "a", not a host:port/],
    ['{}', /is empty/],
    ['{"10.0.0.1:6379":{"host":"203.0.113.7"}}', /maps "10.0.0.1:6379" to something other than a host and a port/],
    ['{"nowhere":{"host":"203.0.113.7","port":1}}', /has "nowhere", not a host:port/],
    ['10.0.0.1:6379', /must be from=to pairs/],
    ['10.0.0.1:6379=203.0.113.7:70000', /maps "10.0.0.1:6379" to something other than a host and a port/],
    ['10.0.0.1:6379=a:1=b:2', /must be from=to pairs/]
  ]
  for (const [value, message] of refused) t.throws(() => parseNatMap(value), message, value)
})

t.test('the server and the plugin refuse the same settings at start, by name', async (t) => {
  const base = { JWT_SECRET: TEST_JWT_SECRET }
  t.throws(() => loadConfig({ ...base, REDIS_TLS: 'maybe' }), /REDIS_TLS/, 'REDIS_TLS is on or off')
  t.throws(() => loadConfig({ ...base, REDIS_CLUSTER_DNS_LOOKUP: 'sometimes' }), /REDIS_CLUSTER_DNS_LOOKUP/, 'REDIS_CLUSTER_DNS_LOOKUP is resolve or passthrough')
  t.throws(() => loadConfig({ ...base, REDIS_CLUSTER_NODES: 'rediss://user:pw@10.0.0.1:6379' }), /REDIS_CLUSTER_NODES/, 'a seed carries no credentials')
  t.throws(() => loadConfig({ ...base, REDIS_CLUSTER_DNS_LOOKUP: 'passthrough' }), /REDIS_CLUSTER_DNS_LOOKUP apply to REDIS_CLUSTER_NODES only/, 'not without a cluster')
  t.throws(() => sessionCheckSettings({ jwtSecret: TEST_JWT_SECRET, redisTlsKey: '/etc/key.pem' }, {}), ConfigError, 'the plugin: a key without TLS')
  t.throws(() => sessionCheckSettings({ jwtSecret: TEST_JWT_SECRET, redisClusterNodes: '10.0.0.1:6379', redisClusterNatMap: 'x' }, {}), /REDIS_CLUSTER_NAT_MAP/, 'the plugin: a bad NAT map')
  const config = loadConfig({ ...base, REDIS_CLUSTER_NODES: 'rediss://10.0.0.1:6379,10.0.0.2:6379', REDIS_CLUSTER_DNS_LOOKUP: 'passthrough' })
  t.equal(config.REDIS_CLUSTER_DNS_LOOKUP, 'passthrough', 'a valid cluster setting is taken')
  t.equal(loadConfig(base).REDIS_TLS, 'off', 'REDIS_TLS defaults to off')
})
