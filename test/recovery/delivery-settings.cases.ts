import t from 'tap'
import { TEST_DATA_ENCRYPTION_KEY } from '../helpers/build-app.js'
import { configError } from '../helpers/config-error.js'

// The delivery settings refused at start, with the variable named (docs/configuration.md).

const SECRET = 'a-delivery-webhook-secret-of-32-characters-or-more'
const PRODUCTION = { NODE_ENV: 'production', DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY, JWT_SECRET: 'a-production-secret-of-at-least-32-characters' }

const refused: Array<[string, Record<string, string>, RegExp]> = [
  ['a webhook without its secret', { DELIVERY_WEBHOOK_URL: 'https://app.example/deliver' }, /DELIVERY_WEBHOOK_URL requires DELIVERY_WEBHOOK_SECRET/],
  ['a secret without its webhook', { DELIVERY_WEBHOOK_SECRET: SECRET }, /DELIVERY_WEBHOOK_SECRET requires DELIVERY_WEBHOOK_URL/],
  ['SMTP without a sender', { SMTP_URL: 'smtp://mail.example:587' }, /SMTP_URL requires MAIL_FROM/],
  ['a sender without SMTP', { MAIL_FROM: 'no-reply@example.com' }, /MAIL_FROM requires SMTP_URL/],
  ['both deliveries', { DELIVERY_WEBHOOK_URL: 'https://app.example/deliver', DELIVERY_WEBHOOK_SECRET: SECRET, SMTP_URL: 'smtp://mail.example', MAIL_FROM: 'a@example.com' }, /not both/],
  ['a short secret', { DELIVERY_WEBHOOK_URL: 'https://app.example/deliver', DELIVERY_WEBHOOK_SECRET: 'short' }, /DELIVERY_WEBHOOK_SECRET/],
  ['a PUBLIC_URL with a fragment', { PUBLIC_URL: 'https://app.example/#/x' }, /PUBLIC_URL/],
  ['production: a delivery without PUBLIC_URL', { ...PRODUCTION, SMTP_URL: 'smtp://mail.example', MAIL_FROM: 'a@example.com' }, /PUBLIC_URL .* is required when NODE_ENV=production/],
  ['production: a plain-HTTP webhook', { ...PRODUCTION, DELIVERY_WEBHOOK_URL: 'http://app.example/deliver', DELIVERY_WEBHOOK_SECRET: SECRET, PUBLIC_URL: 'https://app.example' }, /DELIVERY_WEBHOOK_URL must be https/],
  ['production: a plain-HTTP PUBLIC_URL', { ...PRODUCTION, SMTP_URL: 'smtp://mail.example', MAIL_FROM: 'a@example.com', PUBLIC_URL: 'http://app.example' }, /PUBLIC_URL must be https/],
  ['a reset TTL under a minute', { PASSWORD_RESET_TTL: '10' }, /PASSWORD_RESET_TTL/]
]

for (const [what, env, message] of refused) {
  t.test(`refused: ${what}`, async (t) => {
    t.match(configError(env)?.message, message)
  })
}

t.test('accepted: production with a TLS webhook and PUBLIC_URL; development with nothing', async (t) => {
  t.equal(configError({ ...PRODUCTION, DELIVERY_WEBHOOK_URL: 'https://app.example/deliver', DELIVERY_WEBHOOK_SECRET: SECRET, PUBLIC_URL: 'https://app.example' }), undefined)
  t.equal(configError({ ...PRODUCTION }), undefined, 'production without a delivery starts (and warns)')
  t.equal(configError({}), undefined)
})
