import t from 'tap'
import { createUser, logIn, uniqueAccount } from '../helpers/sessions.js'
import { newContext, NO_CHROMIUM, startPageServer } from './browser-harness.js'
import { sharedChromium } from './shared-chromium.js'
import { PageDriver } from './page-driver.js'

const NEW_PASSWORD = 'a passphrase chosen on the page'
// Markup in a note is text: the list must show it as typed, never as elements.
const MARKUP_NOTE = 'Buy <b>milk</b> & <img src=x onerror="document.title=\'owned\'">'

t.test('the notes panel of the example resource, in Chromium (sliding strategy)', { skip: NO_CHROMIUM }, async (t) => {
  const browser = await sharedChromium()
  const { app, origin } = await startPageServer(t)

  t.test('a newcomer signs up, adds two notes, sees them newest first, and deletes one', async (t) => {
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    await driver.signUp(uniqueAccount(), NEW_PASSWORD)
    t.equal(await driver.notesPanelVisible(), true, 'the panel is part of the signed-in view')
    t.strictSame(await driver.notes(), [])
    t.equal(await driver.page.locator('#notes-empty').isVisible(), true, '"No notes yet." for a new account')

    await driver.addNote(MARKUP_NOTE)
    t.equal(await driver.status(), 'Note added.')
    await driver.addNote('Call the plumber before Friday')
    t.strictSame(await driver.notes(), ['Call the plumber before Friday', MARKUP_NOTE], 'newest first, as typed')
    t.equal(await driver.page.locator('#note-list b, #note-list img').count(), 0, 'the markup made no elements')
    t.not(await driver.page.title(), 'owned', 'and ran nothing')
    t.equal(await driver.page.locator('#notes-empty').isVisible(), false)
    t.equal(await driver.page.getByLabel('New note').inputValue(), '', 'the form is ready for the next note')

    await driver.deleteNote('Call the plumber before Friday')
    t.equal(await driver.status(), 'Note deleted.')
    t.strictSame(await driver.notes(), [MARKUP_NOTE])
    t.equal(await driver.focusedId(), 'notes-heading', 'focus stays in the panel, not on a removed button')

    await driver.reload()
    t.strictSame(await driver.notes(), [MARKUP_NOTE], 'the server kept them')
    t.strictSame(driver.problems, [])
  })

  t.test('a logout of every session from another device ends the page\'s session at the panel\'s next action', async (t) => {
    const user = await createUser(app)
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    await driver.logIn(user.account, user.password)
    await driver.addNote('Written before the logout')

    // Another device, signed in with a token, logs out everywhere.
    const other = await logIn(app, user)
    const logoutAll = await app.inject({ method: 'POST', url: '/auth/logout-all', headers: { token: other.token } })
    t.equal(logoutAll.statusCode, 200)

    await driver.page.getByLabel('New note').fill('Written after it')
    await driver.page.getByRole('button', { name: 'Add note' }).click()
    await driver.waitForView('login')
    t.match(await driver.status(), /You signed out everywhere/, 'reason logout_all, in words')
    t.equal(await driver.focusedId(), 'login-heading')
    t.equal(await driver.page.locator('#note-list > li').count(), 0, 'no note of the account is left in the page')

    const again = await logIn(app, user)
    const listed = await app.inject({ method: 'GET', url: '/notes', headers: { token: again.token } })
    t.strictSame(listed.json<{ notes: Array<{ text: string }> }>().notes.map((note) => note.text),
      ['Written before the logout'], 'the refused note was not added')
    t.strictSame(driver.problems, [])
  })

  t.test('a note deleted on another device: its Delete says it no longer exists and the list catches up', async (t) => {
    const user = await createUser(app)
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    await driver.logIn(user.account, user.password)
    await driver.addNote('Deleted elsewhere first')
    const id = await driver.page.locator('#note-list > li').first().getAttribute('data-note-id')

    const other = await logIn(app, user)
    const deleted = await app.inject({ method: 'DELETE', url: `/notes/${id ?? ''}`, headers: { token: other.token } })
    t.equal(deleted.statusCode, 200)

    await driver.deleteNote('Deleted elsewhere first')
    t.equal(await driver.status(), 'That note no longer exists.')
    t.strictSame(await driver.notes(), [], 'the list is the server\'s again')
    t.equal(await driver.view(), 'account', 'a 404 of a note says nothing about the session')
    t.strictSame(driver.problems, [])
  })
})

t.test('a server without the example routes, in Chromium', { skip: NO_CHROMIUM }, async (t) => {
  const browser = await sharedChromium()
  const { app, origin } = await startPageServer(t, { EXAMPLE_ROUTES: 'false' })

  t.test('EXAMPLE_ROUTES=false: GET /notes answers 404 and the panel stays hidden', async (t) => {
    const user = await createUser(app)
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    const notesAnswer = driver.page.waitForResponse((response) => new URL(response.url()).pathname === '/notes')
    await driver.logIn(user.account, user.password)
    t.equal((await notesAnswer).status(), 404, 'the page asked for the notes')
    t.equal(await driver.notesPanelVisible(), false)
    t.equal(await driver.status(), '', 'without an error message: the server just has no notes')
    t.equal((await driver.sessions()).length, 1, 'the rest of the view is there')
    t.strictSame(driver.problems, [])
  })
})
