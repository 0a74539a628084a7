import { readFileSync } from 'node:fs'
import { DEVICE_TYPE_PATTERN, OVERFLOW_ACTIONS, type DeviceRule, type DeviceRules, type OverflowAction } from '../sessions/device-rules.js'
import { ConfigError } from './config-error.js'

const RULE_FIELDS = ['maxSessions', 'onOverflow', 'idleTtl', 'maxLifetime']
// As SESSION_MAX_PER_USER: a login declares every live session of its type to one script.
const MAX_SESSIONS_PER_TYPE = 1000

function refuse (message: string): never {
  throw new ConfigError(`Invalid configuration: SESSION_DEVICE_RULES ${message}`)
}

// SESSION_DEVICE_RULES holds a JSON object mapping a device type to its rules, or the path of a
// file that does (a mounted configuration), as JWT_KEYS and SERVICE_KEYS do. Checked whole at
// start: a typo would otherwise show only as a rule that silently does not apply.
export function parseDeviceRules (value: string | undefined): DeviceRules {
  if (value === undefined) return new Map()
  const text = value.trimStart().startsWith('{') ? value : readRulesFile(value)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    refuse('is not a JSON object of device type → rules, e.g. {"phone": {"maxSessions": 1}}')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    refuse('must be a JSON object of device type → rules, e.g. {"phone": {"maxSessions": 1}}')
  }
  return new Map(Object.entries(parsed).map(([deviceType, rule]) => [deviceType, deviceRuleOf(deviceType, rule)]))
}

function readRulesFile (path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    refuse(`is neither a JSON object nor a readable file (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}: ${path})`)
  }
}

function deviceRuleOf (deviceType: string, rule: unknown): DeviceRule {
  if (!DEVICE_TYPE_PATTERN.test(deviceType)) {
    refuse(`names the device type ${JSON.stringify(deviceType)}; a type is a lowercase letter, then up to 15 of a-z 0-9 _ -`)
  }
  const where = `"${deviceType}"`
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) refuse(`${where} must be an object of rules`)
  const fields = rule as Record<string, unknown>
  const unknownField = Object.keys(fields).find((field) => !RULE_FIELDS.includes(field))
  if (unknownField !== undefined) refuse(`${where} has the unknown rule "${unknownField}"; the rules are ${RULE_FIELDS.join(', ')}`)
  const maxSessions = optionalInteger(fields.maxSessions, 1, MAX_SESSIONS_PER_TYPE, `${where} "maxSessions" must be an integer from 1 to ${MAX_SESSIONS_PER_TYPE}`)
  const onOverflow = fields.onOverflow ?? 'end_oldest'
  if (!isOverflowAction(onOverflow)) refuse(`${where} "onOverflow" must be one of ${OVERFLOW_ACTIONS.join(', ')}`)
  if (fields.onOverflow !== undefined && maxSessions === undefined) refuse(`${where} has "onOverflow" without "maxSessions"`)
  const idleTtlSeconds = optionalInteger(fields.idleTtl, 1, Number.MAX_SAFE_INTEGER, `${where} "idleTtl" must be a whole number of seconds, at least 1`)
  const maxLifetimeSeconds = optionalInteger(fields.maxLifetime, 0, Number.MAX_SAFE_INTEGER, `${where} "maxLifetime" must be a whole number of seconds (0: none)`)
  return {
    onOverflow,
    ...(maxSessions === undefined ? {} : { maxSessions }),
    ...(idleTtlSeconds === undefined ? {} : { idleTtlSeconds }),
    ...(maxLifetimeSeconds === undefined ? {} : { maxLifetimeSeconds })
  }
}

function isOverflowAction (value: unknown): value is OverflowAction {
  return (OVERFLOW_ACTIONS as readonly unknown[]).includes(value)
}

function optionalInteger (value: unknown, min: number, max: number, problem: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) refuse(problem)
  return value
}
