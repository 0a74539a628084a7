// One process for the cases of this folder (test/README.md#one-process-per-folder).
await import('./data-cipher.cases.js')
await import('./totp-setup.cases.js')
await import('./second-factor-login.cases.js')
await import('./totp-removal.cases.js')
await import('./session-amr.cases.js')
await import('./second-factor-events.cases.js')
await import('./second-factor-outages.cases.js')
