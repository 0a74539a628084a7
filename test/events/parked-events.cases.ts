import t from 'tap'
import { ParkedEvents, type EventPosting } from '../../src/events/parked-events.js'

// The webhook's parked events: bounded (a full set refuses a new one, so the webhook retries that
// one in line), each due at its own time, the longest due first.

function posting (id: string): EventPosting {
  return { id, fields: ['event', '{}'], body: '{}', attempts: 1, refusals: 1 }
}

t.test('a full set refuses a new event but moves the next attempt of one it holds', async (t) => {
  const parked = new ParkedEvents(2)
  t.ok(parked.park(posting('1-0'), 100))
  t.ok(parked.park(posting('2-0'), 200))
  t.notOk(parked.park(posting('3-0'), 50), 'no room for a third')
  t.notOk(parked.has('3-0'))
  t.ok(parked.park(posting('1-0'), 300), 'a parked one is rescheduled')
  t.notOk(parked.park(posting('4-0'), 0), 'and it is still full')
  parked.remove('2-0')
  t.ok(parked.park(posting('3-0'), 50), 'room again once one settled')
})

t.test('the due events, longest due first, and the time to the next', async (t) => {
  const parked = new ParkedEvents(10)
  t.equal(parked.msUntilNextDue(0), Infinity, 'nothing parked: nothing to wake for')
  parked.park(posting('1-0'), 300)
  parked.park(posting('2-0'), 100)
  parked.park(posting('3-0'), 200)
  t.equal(parked.msUntilNextDue(40), 60)
  t.same(parked.due(99), [])
  t.same(parked.due(250).map((event) => event.id), ['2-0', '3-0'])
  t.equal(parked.msUntilNextDue(250), 0, 'overdue: now')
  parked.clear()
  t.same(parked.due(1000), [], 'cleared: nothing due')
  t.equal(parked.lastId(), undefined)
})

t.test('the last parked entry is the latest stream id, by its numbers, not its text', async (t) => {
  const parked = new ParkedEvents(10)
  t.equal(parked.lastId(), undefined)
  for (const id of ['1700000000000-9', '1700000000000-10', '999999999999-99', '1700000000000-2']) parked.park(posting(id), 0)
  t.equal(parked.lastId(), '1700000000000-10')
  parked.remove('1700000000000-10')
  t.equal(parked.lastId(), '1700000000000-9')
})
