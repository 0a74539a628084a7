// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
import './admin-ban.cases.js'
import './service-ban.cases.js'
import './plugin-ban.cases.js'
import './ban-race.cases.js'
import './ban-near-cache.cases.js'
import './ban-until.cases.js'
