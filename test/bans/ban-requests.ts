import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { TestUser } from '../helpers/sessions.js'

// The requests of the ban tests. Not a cases file: the cases of this folder import it.

export async function banByAdmin (app: FastifyInstance, adminToken: string, userId: number | string, body: Record<string, unknown>): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: `/admin/users/${userId}/ban`, headers: { token: adminToken }, payload: body })
}

export async function unbanByAdmin (app: FastifyInstance, adminToken: string, userId: number | string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'DELETE', url: `/admin/users/${userId}/ban`, headers: { token: adminToken } })
}

export async function banOf (app: FastifyInstance, adminToken: string, userId: number | string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url: `/admin/users/${userId}/ban`, headers: { token: adminToken } })
}

export async function tryLogIn (app: FastifyInstance, user: TestUser): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/login', payload: { account: user.account, password: user.password } })
}

// An ISO time this far from now.
export function isoIn (ms: number): string {
  return new Date(Date.now() + ms).toISOString()
}
