import t from 'tap'
import { EVENT_SCRIPTS } from '../../src/events/event-scripts.js'
import { releaseAttemptScript, reserveAttemptScript } from '../../src/rate-limit/attempt-scripts.js'
import { claimChallengeScript, releaseChallengeScript } from '../../src/second-factor/challenge-claim.js'
import { countWrongCodeScript } from '../../src/second-factor/count-wrong-code.js'
import type { RegisteredScript } from '../../src/redis/lua-script.js'
import { REFRESH_SCRIPTS } from '../../src/refresh/refresh-scripts.js'
import { SESSION_SCRIPTS } from '../../src/sessions/session-scripts.js'

const SCRIPTS: readonly RegisteredScript[] = [...SESSION_SCRIPTS, ...REFRESH_SCRIPTS, ...EVENT_SCRIPTS, reserveAttemptScript, releaseAttemptScript, countWrongCodeScript, claimChallengeScript, releaseChallengeScript]

// `local name = ...KEYS[n]...` or `...ARGV[n]...`: the line that names a key or an argument.
const NAMING_LINE = /^local (\w+) = .*\b(KEYS|ARGV)\[(\d+)\]/
// `local name = {unpack(KEYS, n)}` or `{unpack(ARGV, n)}`: the line that names the trailing keys
// or arguments as one list.
const REST_LINE = /^local (\w+) = \{unpack\((KEYS|ARGV), (\d+)\)\}$/

// Each name with its position in KEYS or ARGV, in the order the script names them.
function namesIn (lua: string, table: 'KEYS' | 'ARGV'): Array<[string, number]> {
  return lua.split('\n').flatMap((line) => {
    const match = NAMING_LINE.exec(line)
    return match?.[2] === table ? [[match[1] ?? '', Number(match[3])] as [string, number]] : []
  })
}

// The name and first position of each trailing list the script takes from KEYS or ARGV.
function restsIn (lua: string, table: 'KEYS' | 'ARGV'): Array<[string, number]> {
  return lua.split('\n').flatMap((line) => {
    const match = REST_LINE.exec(line)
    return match?.[2] === table ? [[match[1] ?? '', Number(match[3])] as [string, number]] : []
  })
}

// What restsIn must find: the one list the script declares, after its named entries.
function restAt (name: string | undefined, named: readonly string[]): Array<[string, number]> {
  return name === undefined ? [] : [[name, named.length + 1]]
}

function positions (names: readonly string[]): Array<[string, number]> {
  return names.map((name, i) => [name, i + 1])
}

for (const script of SCRIPTS) {
  t.test(`${script.command} names its keys and arguments as its callers do`, async (t) => {
    t.same(namesIn(script.lua, 'KEYS'), positions(script.keys), 'KEYS')
    t.same(namesIn(script.lua, 'ARGV'), positions(script.args), 'ARGV')
    t.same(restsIn(script.lua, 'KEYS'), restAt(script.restKeys, script.keys), 'the trailing list of KEYS')
    t.same(restsIn(script.lua, 'ARGV'), restAt(script.restArgs, script.args), 'the trailing list of ARGV')
  })

  t.test(`${script.command} reads KEYS and ARGV only where it names them`, async (t) => {
    const lines = script.lua.split('\n')
    const readers = lines.filter((line) => /\b(KEYS|ARGV)\b/.test(line))
    const namers = lines.filter((line) => NAMING_LINE.test(line) || REST_LINE.test(line))
    t.same(readers, namers)
    const firstBodyLine = lines.findIndex((line) => line !== '' && !NAMING_LINE.test(line) && !REST_LINE.test(line) && !line.startsWith('--'))
    t.ok(namers.every((line) => lines.indexOf(line) < firstBodyLine), 'the names come first')
  })
}
