// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
import './sign-in.cases.js'
import './sign-up.cases.js'
import './password-and-expiry.cases.js'
import './secure-cookies.cases.js'
import './banned.cases.js'
