//! Making sure a task's image is on the engine: used as it is when present, pulled only when
//! missing (or when the task forces a pull). A pull that fails says so plainly, since on a host
//! without a registry that is the usual way a Docker task fails.

use std::time::Duration;

use bollard::image::CreateImageOptions;
use bollard::Docker;
use futures::TryStreamExt;

use crate::containerizer::LaunchError;

/// A pull that takes longer than this is given up.
const PULL_TIMEOUT: Duration = Duration::from_secs(300);

pub(super) async fn ensure_image(docker: &Docker, image: &str, force_pull: bool) -> Result<(), LaunchError> {
    if !force_pull && docker.inspect_image(image).await.is_ok() {
        return Ok(());
    }
    let (name, tag) = split_reference(image);
    let options = CreateImageOptions { from_image: name.to_string(), tag: tag.to_string(), ..Default::default() };
    let pull = docker.create_image(Some(options), None, None).try_collect::<Vec<_>>();
    let failed = |why: String| {
        LaunchError::Failed(format!("image `{image}` is not on this host and could not be pulled: {why}"))
    };
    match tokio::time::timeout(PULL_TIMEOUT, pull).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(failed(error.to_string())),
        Err(_) => Err(failed(format!("no answer within {PULL_TIMEOUT:?}"))),
    }
}

/// `repo/name:tag` → (`repo/name`, `tag`); no tag means `latest` (an empty tag would pull
/// every tag); a digest (`name@sha256:...`) is kept whole.
fn split_reference(image: &str) -> (&str, &str) {
    if image.contains('@') {
        return (image, "");
    }
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[last_slash..].rfind(':') {
        Some(colon) => (&image[..last_slash + colon], &image[last_slash + colon + 1..]),
        None => (image, "latest"),
    }
}

#[cfg(test)]
mod tests {
    use super::split_reference;

    #[test]
    fn splits_image_references() {
        assert_eq!(split_reference("busybox"), ("busybox", "latest"));
        assert_eq!(split_reference("corral/busybox:1.35"), ("corral/busybox", "1.35"));
        assert_eq!(split_reference("registry:5000/team/app"), ("registry:5000/team/app", "latest"));
        assert_eq!(split_reference("registry:5000/app:v2"), ("registry:5000/app", "v2"));
        assert_eq!(split_reference("app@sha256:abc"), ("app@sha256:abc", ""));
    }
}
