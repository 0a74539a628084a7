// What a service key may do. Each /service/ route asks for one; SERVICE_KEYS entries and
// `npm run admin -- service-keys generate --scopes` name them, so the names are a public contract
// (docs/api.md, "Service keys").
export const SERVICE_KEY_SCOPES = ['sessions:start', 'sessions:read', 'sessions:end', 'users:ban'] as const
export type ServiceKeyScope = typeof SERVICE_KEY_SCOPES[number]

export function isServiceKeyScope (value: unknown): value is ServiceKeyScope {
  return SERVICE_KEY_SCOPES.some((scope) => scope === value)
}
