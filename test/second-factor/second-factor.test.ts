// One process for the cases of this folder (test/README.md#one-process-per-folder).
import './data-cipher.cases.js'
import './totp-setup.cases.js'
import './second-factor-login.cases.js'
import './totp-removal.cases.js'
import './session-amr.cases.js'
import './second-factor-events.cases.js'
import './second-factor-outages.cases.js'
