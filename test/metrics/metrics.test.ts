// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
import './metrics-access.cases.js'
import './metrics-docs.cases.js'
import './metrics-events.cases.js'
import './metrics-outages.cases.js'
