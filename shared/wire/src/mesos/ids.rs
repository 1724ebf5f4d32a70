//! Mesos ids: JSON objects with one string field, `{"value": "..."}`.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! mesos_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name {
            pub value: String,
        }

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                $name { value: value.into() }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.value)
            }
        }
    )*};
}

mesos_id!(
    /// `<master id>-<4 digits>`, given by the master at the first SUBSCRIBE.
    FrameworkId,
    /// `<master id>-S<n>`, given by the master at an agent's first registration and kept for life.
    AgentId,
    /// `<master id>-O<n>`: usable once.
    OfferId,
    /// Chosen by the framework; unique within it.
    TaskId,
    ExecutorId,
);
