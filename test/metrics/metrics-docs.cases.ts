import { readFileSync } from 'node:fs'
import t from 'tap'
import { PrometheusMetrics } from '../../src/metrics/prometheus-metrics.js'
import { buildTestApp } from '../helpers/build-app.js'
import { getMetrics } from '../helpers/metrics.js'

// docs/metrics.md, the Grafana dashboard and the runbook's alert rules name metrics that exist,
// and every metric the server writes is documented: a renamed metric breaks dashboards silently.

const PROJECT_DIR = new URL('../../../', import.meta.url)
const METRIC_NAME = /\b(?:auth|process|nodejs)_[a-z0-9_]+\b/g
// Grafana's syntax for the data source variable, not a template literal.
const DATASOURCE_VARIABLE = '${datasource}' // eslint-disable-line no-template-curly-in-string

interface Panel {
  type: string
  id: number
  datasource?: { type: string, uid: string }
  targets?: Array<{ expr: string, datasource?: { uid: string } }>
}

interface Dashboard {
  title: string
  uid: string
  panels: Panel[]
  templating: { list: Array<{ name: string, type: string, query: unknown }> }
}

function readDoc (path: string): string {
  return readFileSync(new URL(path, PROJECT_DIR), 'utf8')
}

// What a query may name: each metric, and a histogram's _bucket, _sum and _count series.
function queryableNames (typeLines: string[]): Set<string> {
  const names = new Set<string>()
  for (const line of typeLines) {
    const [, , name, type] = line.split(' ')
    if (name === undefined) continue
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix)
    else names.add(name)
  }
  return names
}

t.test('the docs, the dashboard and the runbook name the metrics the server writes', async (t) => {
  const { app } = await buildTestApp(t, { env: { METRICS: 'on' } })
  const typeLines = (await getMetrics(app)).body.split('\n').filter((line) => line.startsWith('# TYPE '))
  const ours = typeLines.map((line) => line.split(' ')[2] ?? '').filter((name) => name.startsWith('auth_'))
  const queryable = queryableNames(typeLines)
  t.ok(ours.length >= 20, `the server writes ${ours.length} auth_ metrics`)

  const reference = readDoc('docs/metrics.md')
  for (const name of ours) t.ok(reference.includes(`\`${name}\``), `docs/metrics.md documents ${name}`)
  const documented = new Set((reference.match(METRIC_NAME) ?? []).filter((name) => name.startsWith('auth_')))
  for (const name of documented) t.ok(ours.includes(name) || queryable.has(name), `docs/metrics.md names ${name}, which exists`)

  const dashboard = JSON.parse(readDoc('docs/grafana-dashboard.json')) as Dashboard
  const expressions = dashboard.panels.flatMap((panel) => panel.targets ?? []).map((target) => target.expr)
  t.ok(expressions.length > 20, `the dashboard has ${expressions.length} queries`)
  const runbook = readDoc('docs/runbook.md')
  const rules = /```yaml\n([\s\S]*?)```/.exec(runbook)?.[1] ?? ''
  t.match(rules, /alert: AuthRedisDown/, 'the runbook holds the rules')
  for (const [source, text] of [['the dashboard', expressions.join('\n')], ['the runbook', rules]] as const) {
    const named = new Set(text.match(METRIC_NAME) ?? [])
    for (const name of named) t.ok(queryable.has(name), `${source} queries ${name}, which exists`)
  }
  const alerts = [...rules.matchAll(/alert: (\w+)/g)].map((match) => match[1])
  for (const alert of alerts) t.ok(runbook.includes(`## ${alert ?? ''}\n`), `the runbook says what to do about ${alert ?? ''}`)
})

t.test('docs/metrics.md names the decorators that hold the metrics, and only decorators that exist', async (t) => {
  // With the audit log on, fastify.authEvents tells the metrics and the session events: another
  // object than the metrics' own, so the doc cannot name the one for the other.
  const { app } = await buildTestApp(t, { env: { METRICS: 'on', AUDIT_LOG: 'on', EVENTS_EXPIRED: 'off' } })
  const reference = readDoc('docs/metrics.md')
  const named = new Set([...reference.matchAll(/`fastify\.(\w+)`/g)].map((match) => match[1] ?? ''))
  t.ok(named.size >= 3, `docs/metrics.md names ${named.size} decorators`)
  for (const name of named) t.ok(app.hasDecorator(name), `fastify.${name} exists`)

  const registered = /`plugins\/metrics\.ts` registers it[\s\S]*? as `fastify\.(\w+)`[\s\S]*? and `fastify\.(\w+)`/.exec(reference)
  t.ok(registered, 'docs/metrics.md says what plugins/metrics.ts registers')
  for (const name of registered?.slice(1) ?? []) {
    t.ok(Reflect.get(app, name) instanceof PrometheusMetrics, `fastify.${name} is the metrics themselves`)
  }
  t.notOk(app.authEvents instanceof PrometheusMetrics, 'fastify.authEvents is not (here it tells the session events too)')
})

t.test('the dashboard is Grafana JSON over a Prometheus data source chosen by a variable', async (t) => {
  const dashboard = JSON.parse(readDoc('docs/grafana-dashboard.json')) as Dashboard
  t.equal(dashboard.uid, 'token-session-auth')
  const variable = dashboard.templating.list.find((entry) => entry.type === 'datasource')
  t.match(variable, { name: 'datasource', query: 'prometheus' }, 'a datasource variable of type prometheus')
  const ids = dashboard.panels.map((panel) => panel.id)
  t.equal(new Set(ids).size, ids.length, 'panel ids are unique')
  const graphs = dashboard.panels.filter((panel) => panel.type !== 'row')
  t.ok(graphs.every((panel) => panel.datasource?.uid === DATASOURCE_VARIABLE), 'every panel reads the chosen data source')
  const rows = dashboard.panels.filter((panel) => panel.type === 'row').map((panel) => (panel as Panel & { title: string }).title)
  t.same(rows, ['Overview', 'HTTP', 'Logins and sessions', 'Near-cache', 'Redis and database', 'Password hashing', 'Process'], 'a row per group')
})
