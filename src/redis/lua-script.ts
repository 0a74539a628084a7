import type { RedisCommander } from 'ioredis'
import type { RedisClient } from './redis-client.js'

// An ARGV value. Redis hands every one to Lua as a string: a boolean goes as '1' or '0', and
// the script reads it as `ARGV[n] == '1'`.
export type ScriptArg = string | number | boolean

// What a script's ioredis command is called with: its KEYS, then its ARGV; a script with a
// trailing list of keys is given the number of KEYS first.
export type ScriptCall = Array<string | number>

export interface RegisteredScript {
  // The ioredis command that runs the script, typed by declaration merging next to it.
  command: keyof RedisCommander
  lua: string
  keys: readonly string[]
  args: readonly string[]
  // The names of the trailing KEYS and ARGV the script takes as one list each,
  // `{unpack(KEYS, n)}` and `{unpack(ARGV, n)}`, if any.
  restKeys?: string
  restArgs?: string
}

// A Lua script whose KEYS and ARGV have names. `keys` and `args` list them in the order of the
// locals at the top of `lua`, which bear the very same names (test/redis/lua-scripts.cases.ts
// holds the two together). Only these lists know the positions: callers pass named fields.
export interface LuaScript<Keys, Args> extends RegisteredScript {
  keys: ReadonlyArray<keyof Keys & string>
  args: ReadonlyArray<keyof Args & string>
}

// The trailing lists of a call: the values of the script's `restKeys` and `restArgs`.
export interface RestOfCall {
  keys?: readonly string[]
  args?: readonly string[]
}

function encodeArg (value: ScriptArg): string | number {
  if (typeof value === 'boolean') return value ? '1' : '0'
  return value
}

// The call of `script` with these keys and arguments, each followed by its trailing list.
export function scriptCall<Keys extends Record<keyof Keys, string>, Args extends Record<keyof Args, ScriptArg>> (
  script: LuaScript<Keys, Args>, keys: Keys, args: Args, rest: RestOfCall = {}
): ScriptCall {
  const allKeys = [...script.keys.map((name) => keys[name]), ...rest.keys ?? []]
  return [
    ...(script.restKeys === undefined ? [] : [allKeys.length]),
    ...allKeys,
    ...script.args.map((name) => encodeArg(args[name])),
    ...rest.args ?? []
  ]
}

// Registered once per connection, however many stores share it. defineCommand sends EVALSHA
// and falls back to EVAL after a Redis restart emptied the script cache. A script whose number
// of keys varies is registered without one: its calls begin with it (see scriptCall).
export function defineLuaScripts (redis: RedisClient, scripts: readonly RegisteredScript[]): void {
  for (const script of scripts) {
    if (typeof redis[script.command] === 'function') continue
    const numberOfKeys = script.restKeys === undefined ? script.keys.length : undefined
    redis.defineCommand(script.command, { numberOfKeys, lua: script.lua })
  }
}
