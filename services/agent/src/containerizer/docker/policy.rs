//! What the agent's operator lets Docker tasks have beyond an ordinary container. Pure.
//!
//! - A privileged container (`privileged: true`) gets every capability and every host device:
//!   it is root on the host. The agent refuses one (TASK_FAILED, saying why) unless it was
//!   started with `--docker-allow-privileged`.
//! - HOST networking is allowed. It is what Mesos and Marathon give a Docker task that asks for
//!   no other network (`DockerInfo.network` defaults to HOST, and Marathon sends HOST for every
//!   app not on `container/bridge`), so refusing it would fail such apps; and it reaches no
//!   further than a process task, which always runs in the host's network.
//! - The other ways into the host are never passed to Docker: `parameters` (such as
//!   `--cap-add` or `--pid host`) and `volumes` are ignored by [`super::spec`].

use corral_wire::mesos::DockerInfo;

/// What the operator allows (the agent's flags).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DockerPolicy {
    /// `--docker-allow-privileged`.
    pub allow_privileged: bool,
}

/// A Docker task the agent's policy refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyRefusal {
    #[error("the task asks for a privileged container (root on this host), which this agent refuses; start the agent with --docker-allow-privileged to allow it")]
    Privileged,
}

/// Whether `policy` lets a task with this Docker section run.
pub fn check(docker: &DockerInfo, policy: DockerPolicy) -> Result<(), PolicyRefusal> {
    if docker.privileged == Some(true) && !policy.allow_privileged {
        return Err(PolicyRefusal::Privileged);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use corral_wire::mesos::DockerNetwork;

    fn docker(privileged: Option<bool>, network: DockerNetwork) -> DockerInfo {
        DockerInfo {
            image: "corral/busybox:latest".into(),
            network,
            port_mappings: vec![],
            privileged,
            parameters: vec![],
            force_pull_image: None,
        }
    }

    fn check_all(privileged: Option<bool>, network: DockerNetwork, allow: bool, expected: Result<(), PolicyRefusal>) {
        let policy = DockerPolicy { allow_privileged: allow };
        assert_eq!(check(&docker(privileged, network), policy), expected, "{privileged:?} {network:?} allow={allow}");
    }

    #[test]
    fn privileged_needs_the_flag_and_host_networking_does_not() {
        check_all(Some(true), DockerNetwork::Bridge, false, Err(PolicyRefusal::Privileged));
        check_all(Some(true), DockerNetwork::Host, false, Err(PolicyRefusal::Privileged));
        check_all(Some(true), DockerNetwork::Host, true, Ok(()));
        check_all(Some(false), DockerNetwork::Host, false, Ok(()));
        check_all(None, DockerNetwork::Host, false, Ok(()));
        check_all(None, DockerNetwork::Bridge, false, Ok(()));
        assert!(PolicyRefusal::Privileged.to_string().contains("--docker-allow-privileged"));
    }
}
