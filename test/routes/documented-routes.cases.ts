import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { newServiceKey, serviceKeyEntry } from '../../src/service-keys/service-key.js'
import { buildTestApp } from '../helpers/build-app.js'

// docs/api.md's route table and the OpenAPI document at /docs/json list the same routes, under
// the same paths: the table is read here, so neither can change without the other.

const API_DOC = new URL('../../../docs/api.md', import.meta.url)
// A row of the table: | `POST /auth/login` | ...
const ROUTE_ROW = /^\| `([A-Z]+) (\/[^`]*)` \|/gm
// The web page is not an API route: @fastify/static serves it, outside the OpenAPI document.
const PAGE_ROUTE = 'GET /'
// Values for path parameters: any that pass the schemas, so the route itself answers.
const SAMPLE_PARAMS: Record<string, string> = { id: '1', userId: '1' }

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>
}

// `GET /auth/sessions/:id` as the OpenAPI document writes it: `GET /auth/sessions/{id}`.
function openApiName (route: string): string {
  return route.replace(/:(\w+)/g, '{$1}')
}

function documentedRoutes (): string[] {
  const doc = readFileSync(API_DOC, 'utf8')
  const section = doc.slice(doc.indexOf('\n## Routes\n'), doc.indexOf('\n## ', doc.indexOf('\n## Routes\n') + 1))
  return [...section.matchAll(ROUTE_ROW)].map((match) => `${match[1] ?? ''} ${match[2] ?? ''}`)
}

t.test('every route of docs/api.md is in /docs/json under the same path, and every route there is in docs/api.md', async (t) => {
  // Every optional route on: the metrics, the refresh strategy, the JWK Set (an asymmetric key),
  // the backends' /service/ routes.
  const signingKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const { app } = await buildTestApp(t, {
    env: {
      METRICS: 'on',
      EXAMPLE_ROUTES: 'true',
      AUTH_STRATEGY: 'refresh',
      REFRESH_TOKEN_SECRET: randomBytes(32).toString('base64url'),
      ACCESS_TOKEN_ALG: 'EdDSA',
      JWT_KEYS: JSON.stringify([{ kid: 'documented-routes', privateKey: signingKey }]),
      SERVICE_KEYS: JSON.stringify([serviceKeyEntry('documented-routes', newServiceKey(), ['sessions:read'])])
    }
  })
  const documented = documentedRoutes()
  t.ok(documented.length >= 20, `docs/api.md lists ${documented.length} routes`)
  t.equal(new Set(documented).size, documented.length, 'each once')

  const answer = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(answer.statusCode, 200)
  const { paths } = answer.json<OpenApiDocument>()
  const inDocument = Object.entries(paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))

  const expected = documented.filter((route) => route !== PAGE_ROUTE).map(openApiName)
  for (const route of expected) t.ok(inDocument.includes(route), `/docs/json lists ${route}`)
  for (const route of inDocument) t.ok(expected.includes(route), `docs/api.md lists ${route}`)

  for (const route of documented) {
    const [method = '', path = ''] = route.split(' ')
    const url = path.replace(/:(\w+)/g, (_match, name: string) => SAMPLE_PARAMS[name] ?? 'x')
    const res = await app.inject({ method: method as 'GET', url })
    t.not(res.statusCode, 404, `${method} ${url} is a route (${res.statusCode} ${res.body.slice(0, 80)})`)
  }
  const page = await app.inject({ method: 'GET', url: '/' })
  t.match(page.headers['content-type'], /^text\/html/, 'GET / is the web page')
})

t.test('a route has one path: with a trailing slash it is another path, not found', async (t) => {
  const { app } = await buildTestApp(t)
  // The folders' own routes (routes/notes/, routes/auth/sessions/) as any other.
  for (const url of ['/notes/', '/auth/sessions/', '/auth/me/']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 404, `GET ${url}: 404`)
    t.match(res.json(), { errorCode: '1404', info: `Route GET ${url} not found` })
  }
})
