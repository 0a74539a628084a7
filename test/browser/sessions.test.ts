// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
import './notes.cases.js'
import './password-reset.cases.js'
import './refresh-tabs.cases.js'
import './revoke.cases.js'
import './session-list.cases.js'
import './sign-out-other-devices.cases.js'
import './recent-sign-in.cases.js'
import './two-factor.cases.js'
