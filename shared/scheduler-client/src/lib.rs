//! A client of the Mesos v1 scheduler HTTP API, for frameworks written in Rust (marathon-api):
//! find the leading master (in the coordinator, or at a fixed URL), SUBSCRIBE following 307s,
//! read the RecordIO event stream as typed events, and send calls on the subscription.
//!
//! A `Subscription` ends when its stream does (the master went away or dropped the framework);
//! the framework then subscribes again with its id, which is how Mesos frameworks fail over.
//!
//! Invariant: this crate is the only one besides the master that knows the scheduler API's
//! routes and headers; the message shapes belong to `corral_wire::mesos`.

mod error;
mod masters;
mod subscription;

pub use error::SchedulerError;
pub use masters::Masters;
pub use subscription::{Caller, Subscription};
