// One process for the cases of this folder (test/README.md#one-process-per-folder): the
// example's own code against a real Redis. The example running beside the auth server, from the
// packed plugin, is tested in test/package/.
import './code-store.cases.js'
import './code-request-budget.cases.js'
import './phone-users.cases.js'
