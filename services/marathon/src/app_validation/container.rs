//! The container: a Docker container needs `docker` with an image, volumes need their paths, and
//! GPUs need the Mesos containerizer.

use super::marathon::{AppDefinition, AppVolume, Container, ContainerType};
use super::violations::{element, field, Violations};

pub(super) fn check(app: &AppDefinition, violations: &mut Violations) {
    let Some(container) = &app.container else {
        return;
    };
    check_image(container, violations);
    for (index, volume) in container.volumes.iter().enumerate() {
        check_volume(volume, &element("/container/volumes", index), violations);
    }
    if app.gpus > 0 && container.container_type == ContainerType::Docker {
        violations.add("", "GPU resources only work with the Mesos containerizer");
    }
}

fn check_image(container: &Container, violations: &mut Violations) {
    match (&container.docker, container.container_type) {
        (None, ContainerType::Docker) => violations.add("/container/docker", "not defined"),
        (Some(docker), _) if docker.image.is_empty() => violations.add("/container/docker/image", "must not be empty"),
        _ => {}
    }
}

fn check_volume(volume: &AppVolume, path: &str, violations: &mut Violations) {
    let container_path = field(path, "containerPath");
    match (&volume.persistent, &volume.external) {
        (Some(_), Some(_)) => violations.add(path, "illegal combination of persistent and external volume fields"),
        (Some(_), None) => {
            if volume.container_path.is_empty() {
                violations.add(&container_path, "must not be empty");
            } else if volume.container_path.contains('/') {
                violations.add(&container_path, "value must not contain \"/\"");
            }
        }
        (None, Some(_)) => {
            if volume.container_path.is_empty() {
                violations.add(&container_path, "must not be empty");
            }
        }
        (None, None) => {
            if volume.container_path.is_empty() {
                violations.add(&container_path, "must not be empty");
            }
            match volume.host_path.as_deref() {
                None => violations.add(&field(path, "hostPath"), "not defined"),
                Some("") => violations.add(&field(path, "hostPath"), "must not be empty"),
                Some(_) => {}
            }
        }
    }
}
