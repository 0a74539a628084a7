import type { FastifyInstance } from 'fastify'

// One route of the API as its OpenAPI document describes it.
export interface ApiRoute {
  method: string
  // With parameters as `{name}`.
  path: string
  params: string[]
  // The query string's parameters.
  query: string[]
  // The JSON body's properties, and which of them the schema requires.
  bodyFields: string[]
  requiredFields: string[]
}

// The routes the review named, and the notes example (on outside production); the document must
// list each of them (refresh only with its strategy).
export const EXPECTED_ROUTES = [
  'POST /auth/register', 'POST /auth/login', 'GET /auth/me', 'POST /auth/logout', 'POST /auth/logout-all', 'POST /auth/logout-others',
  'POST /auth/password', 'POST /auth/password/forgot', 'POST /auth/password/reset', 'POST /auth/reauthenticate', 'GET /auth/sessions', 'DELETE /auth/sessions/{id}', 'GET /admin/users/{userId}/sessions',
  'POST /admin/revoke', 'GET /health', 'GET /ready', 'GET /notes', 'POST /notes', 'DELETE /notes/{id}',
  'POST /auth/login/second-factor', 'POST /auth/2fa/totp/setup', 'POST /auth/2fa/totp/confirm', 'DELETE /auth/2fa/totp',
  // With SERVICE_KEYS, which the fuzz app sets.
  'POST /service/sessions', 'GET /service/users/{userId}/sessions', 'DELETE /service/users/{userId}/sessions/{sessionId}',
  'DELETE /service/users/{userId}/sessions'
] as const
export const REFRESH_ROUTE = 'POST /auth/refresh'

interface Operation {
  parameters?: Array<{ in?: string, name?: string }>
  requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown>, required?: string[] } }> }
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

// Every documented route, read from the app itself, so a route added later is fuzzed too.
export function apiRoutesOf (app: FastifyInstance): ApiRoute[] {
  const { paths } = app.swagger() as { paths?: unknown }
  if (!isRecord(paths)) throw new Error('the OpenAPI document has no paths')
  const routes: ApiRoute[] = []
  for (const [path, operations] of Object.entries(paths)) {
    if (!isRecord(operations)) continue
    for (const [method, operation] of Object.entries(operations)) {
      const { parameters = [], requestBody } = operation as Operation
      const schema = requestBody?.content?.['application/json']?.schema
      routes.push({
        method: method.toUpperCase(),
        path,
        params: [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? ''),
        query: parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name ?? ''),
        bodyFields: Object.keys(schema?.properties ?? {}),
        requiredFields: schema?.required ?? []
      })
    }
  }
  return routes
}

export function routeName (route: ApiRoute): string {
  return `${route.method} ${route.path}`
}
