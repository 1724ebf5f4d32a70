//! The environment and ports of a task, as Mesos and Marathon give them: `PORT0..PORTn` and
//! `PORT` (the first) from the task's `ports` resource in the order it lists them, `PORTS`
//! (comma-separated), `HOST`, `MESOS_SANDBOX`, `MESOS_TASK_ID`, then the command's own
//! environment, which wins over all of these. Pure.

use corral_wire::mesos::TaskInfo;

/// Every port of the task's `ports` resources, in the order the task lists them.
pub fn task_ports(task: &TaskInfo) -> Vec<u64> {
    task.resources
        .iter()
        .filter(|resource| resource.name == "ports")
        .filter_map(|resource| resource.ranges.as_ref())
        .flat_map(|ranges| ranges.range.iter())
        .flat_map(|range| range.begin..=range.end)
        .collect()
}

/// The task's environment; `sandbox` is the sandbox path as the task sees it.
pub fn task_environment(task: &TaskInfo, host: &str, sandbox: &str) -> Vec<(String, String)> {
    let ports = task_ports(task);
    let mut env: Vec<(String, String)> = Vec::new();
    for (index, port) in ports.iter().enumerate() {
        env.push((format!("PORT{index}"), port.to_string()));
    }
    if let Some(first) = ports.first() {
        env.push(("PORT".into(), first.to_string()));
    }
    let all: Vec<String> = ports.iter().map(u64::to_string).collect();
    env.push(("PORTS".into(), all.join(",")));
    env.push(("HOST".into(), host.to_string()));
    env.push(("MESOS_SANDBOX".into(), sandbox.to_string()));
    env.push(("MESOS_TASK_ID".into(), task.task_id.value.clone()));
    let own = task.command.as_ref().and_then(|command| command.environment.as_ref());
    for variable in own.map(|e| e.variables.as_slice()).unwrap_or_default() {
        env.retain(|(name, _)| *name != variable.name);
        env.push((variable.name.clone(), variable.value.clone()));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use corral_wire::mesos::{AgentId, CommandInfo, Environment, EnvironmentVariable, Range, Resource, TaskId};

    fn task(ranges: &[(u64, u64)], variables: &[(&str, &str)]) -> TaskInfo {
        let environment = Environment {
            variables: variables
                .iter()
                .map(|(n, v)| EnvironmentVariable { name: n.to_string(), value: v.to_string() })
                .collect(),
        };
        let resources = vec![
            Resource::scalar("cpus", 0.5),
            Resource::ranges("ports", ranges.iter().map(|&(begin, end)| Range { begin, end }).collect()),
        ];
        let command = CommandInfo { value: Some("true".into()), environment: Some(environment), ..Default::default() };
        TaskInfo::command_task(TaskId::new("web.1"), AgentId::new("m-S1"), resources, command)
    }

    fn check(task: &TaskInfo, expected: &[(&str, &str)]) {
        let env = task_environment(task, "node1", "/sb");
        for (name, value) in expected {
            let found = env.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
            assert_eq!(found, Some(*value), "{name} in {env:?}");
        }
    }

    #[test]
    fn ports_keep_the_order_the_task_gives() {
        let task = task(&[(31005, 31006), (31001, 31001)], &[]);
        assert_eq!(task_ports(&task), vec![31005, 31006, 31001]);
        check(&task, &[("PORT0", "31005"), ("PORT1", "31006"), ("PORT2", "31001"), ("PORT", "31005")]);
        check(&task, &[("PORTS", "31005,31006,31001"), ("HOST", "node1"), ("MESOS_SANDBOX", "/sb")]);
        check(&task, &[("MESOS_TASK_ID", "web.1")]);
    }

    #[test]
    fn the_command_environment_wins() {
        let task = task(&[(31000, 31000)], &[("PORT0", "80"), ("GREETING", "hi")]);
        check(&task, &[("PORT0", "80"), ("GREETING", "hi"), ("PORT", "31000")]);
        let env = task_environment(&task, "h", "/s");
        assert_eq!(env.iter().filter(|(n, _)| n == "PORT0").count(), 1);
    }

    #[test]
    fn no_ports_no_port_variables() {
        let task = task(&[], &[]);
        check(&task, &[("PORTS", "")]);
        assert!(!task_environment(&task, "h", "/s").iter().any(|(n, _)| n == "PORT"));
    }
}
