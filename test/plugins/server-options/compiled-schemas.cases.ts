import Fastify from 'fastify'
import t from 'tap'
import { refuseUpperCaseHeaderNames, sharedSchemaCompilers } from '../../../plugins/server-options/compiled-schemas.js'

const HEADERS = { type: 'object', required: ['x-token'], properties: { 'x-token': { type: 'string', minLength: 3 } } }
const REPLY = { 200: { type: 'object', properties: { seen: { type: 'string' } } } }

function buildServer (headers: object): ReturnType<typeof Fastify> {
  const server = Fastify({ schemaController: { compilersFactory: sharedSchemaCompilers } })
  server.addHook('onRoute', refuseUpperCaseHeaderNames)
  server.get('/', { schema: { headers, response: REPLY } }, async (request) => ({ seen: request.headers['x-token'], dropped: 'not in the reply schema' }))
  return server
}

t.test('instances built from the same schemas validate and serialize as a fresh compile does', async (t) => {
  for (const round of [1, 2]) {
    const server = buildServer(HEADERS)
    t.teardown(async () => await server.close())
    const ok = await server.inject({ url: '/', headers: { 'X-Token': 'abcd' } })
    t.same(ok.json(), { seen: 'abcd' }, `instance ${round}: a header sent in any case validates; the reply keeps only its schema's fields`)
    const refused = await server.inject({ url: '/', headers: { 'x-token': 'ab' } })
    t.equal(refused.statusCode, 400, `instance ${round}: a header its schema refuses is a 400`)
  }
})

t.test('a header schema naming a header in upper case is refused when the route registers', async (t) => {
  t.throws(() => buildServer({ type: 'object', properties: { 'X-Token': { type: 'string' } } }),
    /GET \/: write header "X-Token" in lower case/)
})
