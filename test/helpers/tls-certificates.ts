import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { ConnectionOptions } from 'node:tls'

const run = promisify(execFile)
const VALID_DAYS = '2'
// EC keys: made in milliseconds, where RSA ones take a noticeable share of a short test.
const KEY_OPTIONS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

// Files (paths) of a private test CA, a certificate it signed for 127.0.0.1 and localhost (Redis
// uses it as a server, and as a client on the cluster bus), one it signed for another name only,
// a client certificate it signed, and a second CA that signed none of them: what a client that
// does not trust the Redis CA holds.
export interface TestCertificates {
  dir: string
  ca: string
  serverCert: string
  serverKey: string
  // Signed by the CA for elsewhere.example only: a server that is not the one connected to.
  otherNameCert: string
  otherNameKey: string
  clientCert: string
  clientKey: string
  otherCa: string
  // ioredis' `tls` option for a client that trusts the CA and presents the client certificate.
  clientTls: () => ConnectionOptions
  remove: () => void
}

// Made with openssl (node:crypto cannot issue certificates) into a temporary directory.
export async function makeTestCertificates (): Promise<TestCertificates> {
  const dir = mkdtempSync(join(tmpdir(), 'auth-tls-'))
  const path = (name: string): string => join(dir, name)
  const selfSigned = async (name: string, subject: string): Promise<void> => {
    await run('openssl', ['req', '-x509', ...KEY_OPTIONS, '-keyout', path(`${name}.key`), '-out', path(`${name}.crt`), '-days', VALID_DAYS, '-subj', subject])
  }
  const signed = async (name: string, subject: string, extensions: string): Promise<void> => {
    writeFileSync(path(`${name}.ext`), extensions)
    await run('openssl', ['req', ...KEY_OPTIONS, '-keyout', path(`${name}.key`), '-out', path(`${name}.csr`), '-subj', subject])
    await run('openssl', [
      'x509', '-req', '-in', path(`${name}.csr`), '-CA', path('ca.crt'), '-CAkey', path('ca.key'), '-CAcreateserial',
      '-out', path(`${name}.crt`), '-days', VALID_DAYS, '-extfile', path(`${name}.ext`)
    ])
  }
  try {
    await Promise.all([selfSigned('ca', '/CN=auth-test-redis-ca'), selfSigned('other-ca', '/CN=auth-test-other-ca')])
    await signed('redis', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n')
    await signed('other-name', '/CN=elsewhere.example', 'subjectAltName=DNS:elsewhere.example\nextendedKeyUsage=serverAuth\n')
    await signed('client', '/CN=auth-server', 'extendedKeyUsage=clientAuth\n')
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  return {
    dir,
    ca: path('ca.crt'),
    serverCert: path('redis.crt'),
    serverKey: path('redis.key'),
    otherNameCert: path('other-name.crt'),
    otherNameKey: path('other-name.key'),
    clientCert: path('client.crt'),
    clientKey: path('client.key'),
    otherCa: path('other-ca.crt'),
    clientTls: () => ({ ca: readFileSync(path('ca.crt')), cert: readFileSync(path('client.crt')), key: readFileSync(path('client.key')) }),
    remove: () => rmSync(dir, { recursive: true, force: true })
  }
}
