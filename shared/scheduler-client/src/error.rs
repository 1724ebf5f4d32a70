//! Why a scheduler API call failed.

#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    #[error("no leading master is known")]
    NoMaster,
    #[error("cannot reach the master at {master}: {error}")]
    Unreachable { master: String, error: reqwest::Error },
    /// The master answered with an error status; `message` is its JSON `message` or body.
    #[error("the master answered {status}: {message}")]
    Refused { status: u16, message: String },
    #[error("the event stream broke: {0}")]
    Stream(String),
    #[error("too many redirects between masters")]
    RedirectLoop,
}
