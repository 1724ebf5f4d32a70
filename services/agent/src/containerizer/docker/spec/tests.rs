//! The container spec: ports, commands, limits, labels and names.

use std::path::PathBuf;

use corral_wire::mesos::{
    AgentId, CommandInfo, ContainerInfo, ContainerType, DockerInfo, DockerNetwork, FrameworkId, PortMapping, Range,
    Resource, TaskId, TaskInfo,
};

use super::*;

fn request(
    network: DockerNetwork,
    mappings: &[(u32, u32, Option<&str>)],
    command: Option<CommandInfo>,
) -> LaunchRequest {
    let docker = DockerInfo {
        image: "corral/busybox:latest".into(),
        network,
        port_mappings: mappings
            .iter()
            .map(|&(host_port, container_port, protocol)| PortMapping {
                host_port,
                container_port,
                protocol: protocol.map(String::from),
            })
            .collect(),
        privileged: None,
        parameters: vec![],
        force_pull_image: None,
    };
    LaunchRequest {
        agent_id: AgentId::new("m1-S3"),
        framework_id: FrameworkId::new("m1-0000"),
        task: TaskInfo {
            name: "web".into(),
            task_id: TaskId::new("web/1"),
            agent_id: AgentId::new("m1-S3"),
            resources: vec![
                Resource::scalar("cpus", 0.5),
                Resource::scalar("mem", 16.0),
                Resource::ranges("ports", vec![Range { begin: 31000, end: 31001 }]),
            ],
            command,
            container: Some(ContainerInfo {
                container_type: ContainerType::Docker,
                docker: Some(docker),
                hostname: None,
                volumes: vec![],
            }),
            health_check: None,
            kill_policy: None,
            labels: None,
            discovery: None,
            data: None,
        },
        sandbox: PathBuf::from("/work/sandboxes/m1-0000/web_1/run7"),
        host: "node1".into(),
    }
}

fn shell(value: &str) -> Option<CommandInfo> {
    Some(CommandInfo { value: Some(value.into()), ..Default::default() })
}

#[test]
fn host_ports_must_be_the_tasks_own() {
    let ok = request(DockerNetwork::Bridge, &[(31001, 80, None), (31000, 53, Some("tcp,udp"))], None);
    let config = container_config(&ok).unwrap();
    let bindings = config.host_config.unwrap().port_bindings.unwrap();
    assert_eq!(bindings["80/tcp"].as_ref().unwrap()[0].host_port.as_deref(), Some("31001"));
    assert!(bindings.contains_key("53/udp") && bindings.contains_key("53/tcp"));
    assert!(config.exposed_ports.unwrap().contains_key("80/tcp"));

    let outside = request(DockerNetwork::Bridge, &[(8080, 80, None)], None);
    assert_eq!(container_config(&outside).unwrap_err(), SpecError::HostPortNotOffered(8080, vec![31000, 31001]));
    let bad_protocol = request(DockerNetwork::Bridge, &[(31000, 80, Some("sctp"))], None);
    assert_eq!(container_config(&bad_protocol).unwrap_err(), SpecError::BadProtocol("sctp".into()));
    let host = request(DockerNetwork::Host, &[(31000, 80, None)], None);
    assert_eq!(container_config(&host).unwrap_err(), SpecError::MappingsWithoutBridge(DockerNetwork::Host));
    assert_eq!(container_config(&request(DockerNetwork::User, &[], None)).unwrap_err(), SpecError::UserNetwork);
}

#[test]
fn commands_follow_mesos() {
    let check = |command: Option<CommandInfo>, entrypoint: Option<&[&str]>, cmd: Option<&[&str]>| {
        let config = container_config(&request(DockerNetwork::Host, &[], command)).unwrap();
        let owned = |v: Option<&[&str]>| v.map(|v| v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(config.entrypoint, owned(entrypoint));
        assert_eq!(config.cmd, owned(cmd));
    };
    check(None, None, None);
    check(shell("echo hi"), Some(&["/bin/sh", "-c"]), Some(&["echo hi"]));
    check(Some(CommandInfo { shell: Some(true), ..Default::default() }), None, None);
    let args = CommandInfo { shell: Some(false), arguments: vec!["-f".into(), "-p".into()], ..Default::default() };
    check(Some(args.clone()), None, Some(&["-f", "-p"]));
    let program = CommandInfo { value: Some("/bin/busybox".into()), ..args };
    check(Some(program), Some(&["/bin/busybox"]), Some(&["-f", "-p"]));
}

#[test]
fn limits_labels_env_and_name() {
    let request = request(DockerNetwork::Bridge, &[], shell("true"));
    let config = container_config(&request).unwrap();
    let host = config.host_config.clone().unwrap();
    assert_eq!(host.cpu_shares, Some(512));
    assert_eq!(host.memory, Some(32 * 1024 * 1024), "Mesos' 32 MB floor");
    assert_eq!(host.network_mode.as_deref(), Some("bridge"));
    assert_eq!(host.binds.unwrap(), vec!["/work/sandboxes/m1-0000/web_1/run7:/mnt/mesos/sandbox".to_string()]);
    let labels = config.labels.unwrap();
    assert_eq!(labels[LABEL_AGENT_ID], "m1-S3");
    assert_eq!(labels[LABEL_TASK_ID], "web/1");
    assert_eq!(labels[LABEL_FRAMEWORK_ID], "m1-0000");
    let env = config.env.unwrap();
    assert!(env.contains(&"PORT0=31000".to_string()) && env.contains(&"MESOS_SANDBOX=/mnt/mesos/sandbox".to_string()));
    assert_eq!(container_name(&request), "corral-m1-S3-web_1-run7");
}

#[test]
fn privileged_goes_to_docker_as_asked() {
    // The agent's policy (`policy::check`) has refused it before unless the operator allows it.
    let mut asked = request(DockerNetwork::Host, &[], shell("true"));
    asked.task.container.as_mut().unwrap().docker.as_mut().unwrap().privileged = Some(true);
    assert_eq!(container_config(&asked).unwrap().host_config.unwrap().privileged, Some(true));
    let plain = request(DockerNetwork::Host, &[], shell("true"));
    assert_eq!(container_config(&plain).unwrap().host_config.unwrap().privileged, None);
    assert_eq!(container_config(&plain).unwrap().host_config.unwrap().network_mode.as_deref(), Some("host"));
}
