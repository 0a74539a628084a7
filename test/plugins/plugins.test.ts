// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
import './authenticate.cases.js'
import './error-handler.cases.js'
import './identity-header-spellings.cases.js'
import './session-check-plugin.cases.js'
import './session-role.cases.js'
import './web-page.cases.js'
import './server-options/compiled-schemas.cases.js'
import './session-lifecycle.cases.js'
import './non-sliding-routes.cases.js'
import './recent-auth.cases.js'
