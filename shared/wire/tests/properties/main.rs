//! Property tests of the wire crate's parsers of untrusted input: whatever bytes or text arrive,
//! they never panic, and every value they accept comes back unchanged from its written form.
//!
//! One module per parser; each generates both arbitrary input (to find panics) and valid values
//! (to check round trips). Case counts are modest so the whole set runs in seconds in debug.

mod attributes;
mod marathon_json;
mod recordio;
mod resources;
mod timestamps;

use proptest::prelude::ProptestConfig;

/// `cases` random cases per property. Failures are not written to regression files: proptest
/// prints the minimized input, and the ones found so far are kept as explicit cases.
fn cases(cases: u32) -> ProptestConfig {
    ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(cases) }
}
