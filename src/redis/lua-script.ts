import type { Redis, RedisCommander } from 'ioredis'

// An ARGV value. Redis hands every one to Lua as a string: a boolean goes as '1' or '0', and
// the script reads it as `ARGV[n] == '1'`.
export type ScriptArg = string | number | boolean

// What a script's ioredis command is called with: its KEYS, then its ARGV.
export type ScriptCall = Array<string | number>

export interface RegisteredScript {
  // The ioredis command that runs the script, typed by declaration merging next to it.
  command: keyof RedisCommander
  lua: string
  keys: readonly string[]
  args: readonly string[]
  // The name of the trailing ARGV the script takes as one list, `{unpack(ARGV, n)}`, if any.
  restArgs?: string
}

// A Lua script whose KEYS and ARGV have names. `keys` and `args` list them in the order of the
// locals at the top of `lua`, which bear the very same names (test/redis/lua-scripts.test.ts
// holds the two together). Only these lists know the positions: callers pass named fields.
export interface LuaScript<Keys, Args> extends RegisteredScript {
  keys: ReadonlyArray<keyof Keys & string>
  args: ReadonlyArray<keyof Args & string>
}

function encodeArg (value: ScriptArg): string | number {
  if (typeof value === 'boolean') return value ? '1' : '0'
  return value
}

// The call of `script` with these keys and arguments, and then `restArgs` (its trailing list).
export function scriptCall<Keys extends Record<keyof Keys, string>, Args extends Record<keyof Args, ScriptArg>> (
  script: LuaScript<Keys, Args>, keys: Keys, args: Args, restArgs: readonly string[] = []
): ScriptCall {
  return [
    ...script.keys.map((name) => keys[name]),
    ...script.args.map((name) => encodeArg(args[name])),
    ...restArgs
  ]
}

// Registered once per connection, however many stores share it. defineCommand sends EVALSHA
// and falls back to EVAL after a Redis restart emptied the script cache.
export function defineLuaScripts (redis: Redis, scripts: readonly RegisteredScript[]): void {
  for (const script of scripts) {
    if (typeof redis[script.command] === 'function') continue
    redis.defineCommand(script.command, { numberOfKeys: script.keys.length, lua: script.lua })
  }
}
