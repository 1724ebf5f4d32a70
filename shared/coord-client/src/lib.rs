//! The async client every Corral service uses to talk to the coordinator over HTTP.
//!
//! A [`CoordClient`] is built from the ensemble's client addresses and fails over between them:
//! a request that surely was not applied (connection refused, or a 503) moves on to the next
//! server and is retried until a deadline; a read is also retried after a timeout; a write whose
//! answer was lost fails with [`CoordError::OutcomeUnknown`] instead of being applied twice.
//!
//! The client remembers the highest zxid it has seen and asks every read for at least that state
//! (`x-corral-min-zxid`), so switching servers never takes it back in time.
//!
//! On top of the znode operations it offers sessions kept alive in the background
//! ([`SessionHandle`]), resumable watch streams ([`WatchStream`]) and three recipes: leader
//! election ([`LeaderElection`]), a leader's whole term on top of it ([`hold_office`]: contend,
//! take office, stop on purpose or on a lost session) and leader discovery ([`LeaderDiscovery`]).
//!
//! Invariant: this crate is the only one that knows the coordinator's routes and fail-over rules;
//! the shapes of the bodies belong to `corral_wire::coordinator`.

mod addresses;
mod backoff;
mod client;
mod discovery;
mod election;
mod ensure_path;
mod error;
mod office;
mod operations;
mod route;
mod sequence;
mod session;
mod transport;
mod watch;
mod znode_path;

#[cfg(test)]
mod path_properties;

pub use addresses::{AddressError, CoordAddresses};
pub use client::{CoordClient, CoordClientConfig};
pub use discovery::{LeaderDiscovery, LeaderInfo};
pub use election::LeaderElection;
pub use ensure_path::ensure_path;
pub use error::CoordError;
pub use office::{hold_office, Candidacy, SessionLost};
pub use operations::Observed;
pub use sequence::{by_sequence, lowest_sequence, sequence_suffix};
pub use session::{SessionHandle, SessionState};
pub use watch::{WatchItem, WatchSpec, WatchStream};

pub use corral_wire::coordinator::{
    Children, CreateMode, EventKind, MultiOp, MultiResponse, MultiResult, Stat, Status, WatchEvent, WriteResponse,
    Znode, ANY_VERSION,
};
pub use corral_wire::ErrorBody;
