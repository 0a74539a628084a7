import t from 'tap'
import { NearCache, type CachedSession } from '../../src/sessions/near-cache.js'

// The cache's own rules, without Redis: which fills it keeps. The Redis-facing behaviour is
// tested end to end in near-cache.test.ts.
const KEY = 'ACCESS_TOKEN:{1}:abc'
const NOW_MS = 1_000_000
const SESSION: CachedSession = { account: 'a@example.com', userType: 'user', authAt: NOW_MS, amr: ['pwd'], expiresAtMs: NOW_MS + 60_000, touchDueAtMs: NOW_MS + 6000 }

function enabledCache (): NearCache {
  const cache = new NearCache(10)
  cache.enable()
  return cache
}

t.test('a fill is kept when nothing happened to its key meanwhile', async (t) => {
  const cache = enabledCache()
  const fill = cache.beginFill(KEY)
  t.ok(fill)
  if (fill !== undefined) cache.endFill(fill, SESSION)
  t.same(cache.get(KEY, NOW_MS), SESSION)
  t.equal(cache.get(KEY, SESSION.expiresAtMs), undefined, 'never served at or past the expiry it read')
  t.equal(cache.size, 0, 'and dropped then')
})

t.test('an invalidation that overtakes a fill wins, for every fill of that key', async (t) => {
  const cache = enabledCache()
  const first = cache.beginFill(KEY)
  const second = cache.beginFill(KEY)
  const other = cache.beginFill('ACCESS_TOKEN:{1}:other')
  cache.invalidate(KEY)
  for (const fill of [first, second, other]) if (fill !== undefined) cache.endFill(fill, { ...SESSION })
  t.equal(cache.get(KEY, NOW_MS), undefined, 'the overtaken fills are dropped')
  t.ok(cache.get('ACCESS_TOKEN:{1}:other', NOW_MS), 'a fill of another key is kept')
  const later = cache.beginFill(KEY)
  if (later !== undefined) cache.endFill(later, SESSION)
  t.ok(cache.get(KEY, NOW_MS), 'a fill begun after the invalidation is kept')
})

t.test('a flush, or losing the invalidations, drops fills begun before it', async (t) => {
  const cache = enabledCache()
  const beforeFlush = cache.beginFill(KEY)
  cache.flush()
  if (beforeFlush !== undefined) cache.endFill(beforeFlush, SESSION)
  t.equal(cache.size, 0, 'not kept across a flush')

  const beforeDisable = cache.beginFill(KEY)
  cache.disable()
  t.equal(cache.beginFill(KEY), undefined, 'no fills while disabled')
  cache.enable()
  if (beforeDisable !== undefined) cache.endFill(beforeDisable, SESSION)
  t.equal(cache.size, 0, 'a fill from before the outage is not kept after it either')
})

t.test('at most maxEntries sessions, the earliest filled evicted first', async (t) => {
  const cache = new NearCache(2)
  cache.enable()
  for (const key of ['a', 'b', 'a', 'c']) {
    const fill = cache.beginFill(key)
    if (fill !== undefined) cache.endFill(fill, SESSION)
  }
  t.equal(cache.size, 2)
  t.ok(cache.get('a', NOW_MS), 'refilled, so kept')
  t.equal(cache.get('b', NOW_MS), undefined, 'the earliest filled went')
  t.ok(cache.get('c', NOW_MS))
})

t.test('one background touch per session at a time', async (t) => {
  const cache = enabledCache()
  t.equal(cache.startTouch(KEY), true)
  t.equal(cache.startTouch(KEY), false, 'a second one waits for the first')
  cache.endTouch(KEY)
  t.equal(cache.startTouch(KEY), true)
})
