//! Marathon's rules for app definitions, with Marathon's messages and paths, so that clients see the
//! 422 answers they know: `{"message": "Object is not valid", "details": [{"path", "errors"}]}`.
//! Pure: no IO, no clock.
//!
//! `validate(request, base)` is the one entry for every request that creates or changes an app:
//! 1. rules about what was sent (`request_rules`): legacy fields against canonical ones, ports against
//!    networking, a rollback `version` mixed with changes;
//! 2. normalization (`AppUpdate::apply_to`, in the wire crate) onto `base`, which is
//!    `AppDefinition::new("")` for a new app or a full replace, and the current app for a partial update;
//! 3. the id and dependencies made canonical (`identity`), then the rules on the canonical app,
//!    last those refusing what Marathon does and Corral does not yet (`unsupported`).
//!
//! A valid app comes back as `ValidApp`, so code that launches or stores apps can ask for one. The
//! HTTP layer answers 422 with `ErrorBody::invalid_object(details)` for the errors, and 400 with
//! `invalid_json_body` when the body could not be read at all.
//!
//! Paths follow Marathon: `/` for the app as a whole, `/upgradeStrategy/minimumHealthCapacity` for a
//! field, `(i)` for a list element (`/healthChecks(0)/command`). Number bounds use Marathon's
//! wording (`got -3, expected 0 or more`). Where Marathon's own path is `/` for an id that resolves
//! to the root group, ours is `/id`.

use corral_wire::marathon;

mod command;
mod constraints;
mod container;
mod health_checks;
mod identity;
mod json_error;
mod path_id;
mod ports;
mod request_rules;
mod resources;
mod unsupported;
mod violations;

#[cfg(test)]
mod tests;

use marathon::{AppDefinition, AppUpdate, ErrorDetail};
use violations::Violations;

pub use json_error::invalid_json_body;
pub use path_id::{canonical_path, parent_path, MAX_ID_LENGTH};

/// An app that passed every rule, in canonical form with an absolute id.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidApp(AppDefinition);

impl ValidApp {
    pub fn app(&self) -> &AppDefinition {
        &self.0
    }

    pub fn into_app(self) -> AppDefinition {
        self.0
    }
}

/// `request` applied to `base` (see the module documentation), if the result is a valid app.
pub fn validate(request: &AppUpdate, base: &AppDefinition) -> Result<ValidApp, Vec<ErrorDetail>> {
    let mut violations = Violations::default();
    request_rules::check(request, base, &mut violations);
    unsupported::check_request(request, &mut violations);
    if !violations.is_empty() {
        return Err(violations.into_details());
    }
    validate_definition(request.apply_to(base))
}

/// An app already in canonical form (read from storage, or from a group), checked as `validate`
/// checks the result of normalization.
pub fn validate_definition(mut app: AppDefinition) -> Result<ValidApp, Vec<ErrorDetail>> {
    let mut violations = Violations::default();
    identity::check_and_canonicalize(&mut app, &mut violations);
    command::check(&app, &mut violations);
    resources::check(&app, &mut violations);
    constraints::check(&app, &mut violations);
    container::check(&app, &mut violations);
    ports::check(&app, &mut violations);
    health_checks::check(&app, &mut violations);
    unsupported::check(&app, &mut violations);
    if violations.is_empty() {
        Ok(ValidApp(app))
    } else {
        Err(violations.into_details())
    }
}
