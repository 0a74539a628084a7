import autocannon from 'autocannon'

// One bounded autocannon run. Each connection gets its own headers (its own session), so an
// authenticated target is loaded by as many sessions as connections, not by one hot session.

export interface LoadSpec {
  url: string
  connections: number
  durationSeconds: number
  method?: 'GET' | 'POST'
  // One entry per connection, reused round-robin when there are fewer entries than connections.
  headersPerConnection?: Array<Record<string, string>>
  bodyPerConnection?: string[]
  // Bodies taken in turn by all the connections together, one per request: consecutive requests
  // differ whichever connection sends them (in place of bodyPerConnection).
  bodiesInTurn?: string[]
}

export interface LoadResult {
  requestsPerSecond: number
  requests: number
  p50Ms: number
  p99Ms: number
  non2xx: number
  errors: number
}

function pick<T> (entries: T[] | undefined, index: number): T | undefined {
  return entries === undefined || entries.length === 0 ? undefined : entries[index % entries.length]
}

// One request, its body set as it goes out.
function requestsInTurn (bodies: string[] | undefined): autocannon.Request[] | undefined {
  if (bodies === undefined || bodies.length === 0) return undefined
  let next = 0
  return [{ setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }) }]
}

export async function runLoad (spec: LoadSpec): Promise<LoadResult> {
  let connectionIndex = 0
  const result = await autocannon({
    requests: requestsInTurn(spec.bodiesInTurn),
    url: spec.url,
    method: spec.method ?? 'GET',
    connections: spec.connections,
    duration: spec.durationSeconds,
    setupClient: (client) => {
      const index = connectionIndex++
      client.setHeadersAndBody(pick(spec.headersPerConnection, index) ?? {}, pick(spec.bodyPerConnection, index))
    }
  })
  return {
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors
  }
}
