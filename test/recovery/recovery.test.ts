// One process for the cases of this folder (test/README.md#one-process-per-folder).
import './password-reset.cases.js'
import './delivery.cases.js'
import './delivery-settings.cases.js'
import './recovery-outage.cases.js'
