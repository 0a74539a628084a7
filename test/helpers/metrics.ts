import type { FastifyInstance, LightMyRequestResponse } from 'fastify'

// One sample line of the Prometheus text format: a name, labels in braces, a value.
export const SAMPLE_LINE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.e+-]+|\+Inf|-Inf|NaN|Nan)$/

export async function getMetrics (app: FastifyInstance, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1'): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url: '/metrics', headers, remoteAddress })
}

// Every sample of a scrape, by its series as written (`auth_logins_total{result="success"}`).
export async function scrape (app: FastifyInstance): Promise<Map<string, number>> {
  const response = await getMetrics(app)
  if (response.statusCode !== 200) throw new Error(`GET /metrics: ${response.statusCode} ${response.body}`)
  const samples = new Map<string, number>()
  for (const line of response.body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const space = line.lastIndexOf(' ')
    samples.set(line.slice(0, space), Number(line.slice(space + 1)))
  }
  return samples
}

// A series' value, 0 when it is not there (yet).
export function sample (samples: Map<string, number>, series: string): number {
  return samples.get(series) ?? 0
}

// How much each series moved between two scrapes.
export function moved (before: Map<string, number>, after: Map<string, number>, series: string): number {
  return sample(after, series) - sample(before, series)
}
