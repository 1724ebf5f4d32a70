//! The user a process task runs as: the command's `user` (Marathon's app `user`). A task that
//! names no user, or the agent's own, runs as the agent's user. Another user needs an agent that
//! runs as root; the task then runs with that user's uid, primary group and supplementary
//! groups. A user the system does not know, or a user the agent cannot become, fails the launch.
//!
//! [`decide`] is the rule (pure); [`resolve`] looks the user up in the system's user database.

use serde::{Deserialize, Serialize};

use corral_wire::mesos::TaskInfo;

/// A user as the system's user database gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskUser {
    pub name: String,
    pub uid: u32,
    /// The primary group.
    pub gid: u32,
    /// Every group the user is in, the primary one included.
    pub groups: Vec<u32>,
}

/// Why a task cannot run as the user it names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("task asks to run as `{0}`, but there is no such user on this agent")]
    Unknown(String),
    #[error("task asks to run as `{user}` but the agent is not root (it runs as uid {agent_uid}), so it cannot switch users")]
    NotRoot { user: String, agent_uid: u32 },
    #[error("cannot look up user `{user}`: {error}")]
    Lookup { user: String, error: String },
}

/// The user the task names, if any (blank counts as none).
pub fn requested(task: &TaskInfo) -> Option<&str> {
    task.command.as_ref().and_then(|command| command.user.as_deref()).map(str::trim).filter(|name| !name.is_empty())
}

/// Whom a task that names `name` runs as, given what the user database `found` for it:
/// `None` means as the agent itself.
pub fn decide(name: &str, found: Option<TaskUser>, agent_uid: u32) -> Result<Option<TaskUser>, UserError> {
    let user = found.ok_or_else(|| UserError::Unknown(name.to_string()))?;
    match (user.uid == agent_uid, agent_uid == 0) {
        (true, _) => Ok(None),
        (false, true) => Ok(Some(user)),
        (false, false) => Err(UserError::NotRoot { user: name.to_string(), agent_uid }),
    }
}

/// Whom `task` runs as on this agent (whose effective uid is `agent_uid`).
pub fn resolve(task: &TaskInfo, agent_uid: u32) -> Result<Option<TaskUser>, UserError> {
    match requested(task) {
        None => Ok(None),
        Some(name) => decide(name, look_up(name)?, agent_uid),
    }
}

/// The user and all its groups from the user database (`/etc/passwd`, `/etc/group`, or NSS).
fn look_up(name: &str) -> Result<Option<TaskUser>, UserError> {
    let failed = |error: nix::errno::Errno| UserError::Lookup { user: name.to_string(), error: error.to_string() };
    let Some(user) = nix::unistd::User::from_name(name).map_err(failed)? else { return Ok(None) };
    let c_name = std::ffi::CString::new(name).map_err(|_| UserError::Unknown(name.to_string()))?;
    let groups = nix::unistd::getgrouplist(&c_name, user.gid).map_err(failed)?;
    Ok(Some(TaskUser {
        name: user.name,
        uid: user.uid.as_raw(),
        gid: user.gid.as_raw(),
        groups: groups.into_iter().map(|gid| gid.as_raw()).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nobody() -> TaskUser {
        TaskUser { name: "nobody".into(), uid: 65534, gid: 65534, groups: vec![65534] }
    }

    #[test]
    fn root_switches_to_other_users_and_others_cannot() {
        assert_eq!(decide("nobody", Some(nobody()), 0), Ok(Some(nobody())));
        assert_eq!(decide("nobody", Some(nobody()), 65534), Ok(None), "the agent's own user");
        let root = TaskUser { name: "root".into(), uid: 0, gid: 0, groups: vec![0] };
        assert_eq!(decide("root", Some(root.clone()), 0), Ok(None));
        assert_eq!(decide("root", Some(root), 1000), Err(UserError::NotRoot { user: "root".into(), agent_uid: 1000 }));
        let refused = decide("nobody", Some(nobody()), 1000).unwrap_err();
        assert_eq!(refused, UserError::NotRoot { user: "nobody".into(), agent_uid: 1000 });
        assert!(refused.to_string().contains("task asks to run as `nobody` but the agent is not root"), "{refused}");
        let unknown = decide("ghost", None, 0).unwrap_err();
        assert_eq!(unknown.to_string(), "task asks to run as `ghost`, but there is no such user on this agent");
    }

    #[test]
    fn the_user_database_is_read() {
        let me = nix::unistd::geteuid().as_raw();
        let root = look_up("root").expect("lookup works").expect("root exists");
        assert_eq!((root.uid, root.gid), (0, 0));
        assert!(root.groups.contains(&0), "{root:?}");
        assert_eq!(look_up("no-such-user-corral").unwrap(), None);
        let task = |user: Option<&str>| {
            let command = corral_wire::mesos::CommandInfo { user: user.map(String::from), ..Default::default() };
            let id = corral_wire::mesos::TaskId::new("t");
            TaskInfo::command_task(id, corral_wire::mesos::AgentId::new("a"), vec![], command)
        };
        assert_eq!(resolve(&task(None), me), Ok(None));
        assert_eq!(resolve(&task(Some("  ")), me), Ok(None), "blank is no user");
        assert!(matches!(resolve(&task(Some("no-such-user-corral")), me), Err(UserError::Unknown(_))));
    }
}
