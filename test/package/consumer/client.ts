// The SDK from its packed tarball, against the running auth server: fetch and axios, calling
// the example resource behind the session check. Prints what it saw as one JSON line.
import axios from 'axios'
import { createAuthClient } from '@token-session-auth/client'
import { attachAuth } from '@token-session-auth/client/axios'

const [baseUrl = '', account = '', password = ''] = process.argv.slice(2)
const auth = createAuthClient({ baseUrl })
const login = await auth.login(account, password)
// This account has no second factor: the answer is a session.
if (login.secondFactorRequired === true) throw new Error('the account asks for a second factor')

const created = await auth.fetch('/notes', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ text: 'from fetch' })
})
const api = axios.create({ baseURL: baseUrl })
attachAuth(api, auth)
const posted = await api.post<{ id: number }>('/notes', { text: 'from axios' })
const listed = await api.get<{ notes: Array<{ text: string }> }>('/notes')

console.log(JSON.stringify({
  userId: login.userId,
  fetchStatus: created.status,
  axiosStatus: posted.status,
  texts: listed.data.notes.map((note) => note.text)
}))
