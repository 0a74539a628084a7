export class ConfigError extends Error {
  override name = 'ConfigError'
}

export type EnvSource = Record<string, string | undefined>
