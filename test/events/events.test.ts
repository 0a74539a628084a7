// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
import './device-type-events.cases.js'
import './expiry-claim-retry.cases.js'
import './parked-events.cases.js'
import './rate-limited-events.cases.js'
import './session-events.cases.js'
import './webhook.cases.js'
import './webhook-refusals.cases.js'
import './webhook-parked.cases.js'
import './webhook-parked-bound.cases.js'
import './webhook-trim.cases.js'
