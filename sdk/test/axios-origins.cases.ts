import axios, { AxiosError, type AxiosAdapter } from 'axios'
import t from 'tap'
import { attachAuth } from '../src/axios.js'
import { createAuthClient, memoryStorage, type SessionEndReason } from '../src/index.js'

// Which requests axios sends with the token: decided from where each request really goes. The
// adapter records the headers instead of sending, so no server is needed to see them.
const API = 'https://auth.example.com'
const PAGE = 'https://shop.example.com'

t.test('axios: a relative URL goes to the page\'s origin, and gets the token only if that is the API', async (t) => {
  const storage = memoryStorage()
  storage.set({ token: 'T1', sessionId: 'S1' })
  const client = createAuthClient({ baseUrl: API, storage })
  t.teardown(() => client.close())
  const sent: Array<[string, unknown]> = []
  const recording: AxiosAdapter = async (config) => {
    sent.push([axios.getUri(config), config.headers.get('token')])
    return { data: {}, status: 200, statusText: 'OK', headers: {}, config }
  }
  const pageInstance = axios.create({ adapter: recording })
  attachAuth(pageInstance, client)
  const apiInstance = axios.create({ baseURL: API, adapter: recording })
  attachAuth(apiInstance, client)

  Reflect.set(globalThis, 'location', { origin: PAGE, href: `${PAGE}/cart` })
  t.teardown(() => Reflect.deleteProperty(globalThis, 'location'))
  await pageInstance.get('/analytics')
  await pageInstance.get(`${API}/auth/me`)
  await apiInstance.get('/auth/me')

  t.same(sent, [
    ['/analytics', undefined],
    [`${API}/auth/me`, 'T1'],
    [`${API}/auth/me`, 'T1']
  ], 'a relative URL on a page of another origin: no token; the API, by URL or baseURL: the token')
})

t.test('axios: an error body read as bytes (responseType arraybuffer) still ends the session with its reason', async (t) => {
  const storage = memoryStorage()
  storage.set({ token: 'T1', sessionId: 'S1' })
  const ended: SessionEndReason[] = []
  const client = createAuthClient({ baseUrl: API, storage, onSessionEnded: (reason) => { ended.push(reason) } })
  t.teardown(() => client.close())
  // A Buffer that starts inside a larger one, as Node's pooled Buffers do: only its own bytes are the body.
  const json = JSON.stringify({ code: 0, errorCode: '1002', info: 'Session has ended (logout_all)', reason: 'logout_all' })
  const pooled = Buffer.from(`garbage${json}garbage`)
  const body = pooled.subarray('garbage'.length, 'garbage'.length + json.length)
  const answering: AxiosAdapter = async (config) => {
    const response = { data: body, status: 401, statusText: 'Unauthorized', headers: {}, config }
    throw new AxiosError('Request failed with status code 401', AxiosError.ERR_BAD_REQUEST, config, undefined, response)
  }
  const instance = axios.create({ baseURL: API, adapter: answering, responseType: 'arraybuffer' })
  attachAuth(instance, client)

  await t.rejects(instance.get('/notes'), { name: 'AxiosError', message: /401/ }, 'the 401 reaches the caller')
  t.same(ended, ['logout_all'], 'the reason read from the bytes of the body')
  t.equal(storage.get(), undefined, 'the tokens are cleared')
})
