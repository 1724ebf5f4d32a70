//! Where marathon's state lives in the coordinator, one znode per thing (never one growing blob):
//!
//! ```text
//! <root>/framework-id                      the framework id the master gave us
//! <root>/apps/<app key>                    the current AppDefinition of each app
//! <root>/versions/<app key>/<millis>       every stored version of each app
//! <root>/deployments/<deployment id>       each running deployment
//! <root>/tasks/<task id>                   each task marathon launched and has not seen end
//! <root>/drains/<task id>[/<lb id>]        drain before kill: see `corral_wire::lb::DrainPaths`
//! <root>/quarantine/<escaped path>         a record a leader could not read, moved aside
//! ```
//!
//! An app key is the app id without its leading `/`, with `/` written as `_`: Marathon ids hold
//! only lowercase letters, digits, `-` and `.`, so the key is unique (as in Marathon's task ids).
//! A quarantined record is named by its whole former path with `%` written `%25` and `/` written
//! `%2F`, so that it reads back unambiguously.

/// The paths under one root (such as `/corral/marathon`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreLayout {
    root: String,
}

impl StoreLayout {
    pub fn new(root: &str) -> Self {
        StoreLayout { root: root.trim_end_matches('/').to_string() }
    }

    pub fn framework_id(&self) -> String {
        format!("{}/framework-id", self.root)
    }

    pub fn apps(&self) -> String {
        format!("{}/apps", self.root)
    }

    pub fn app(&self, app_id: &str) -> String {
        format!("{}/{}", self.apps(), app_key(app_id))
    }

    pub fn versions(&self) -> String {
        format!("{}/versions", self.root)
    }

    pub fn app_versions(&self, app_id: &str) -> String {
        format!("{}/{}", self.versions(), app_key(app_id))
    }

    pub fn app_version(&self, app_id: &str, millis: i64) -> String {
        format!("{}/{millis}", self.app_versions(app_id))
    }

    pub fn deployments(&self) -> String {
        format!("{}/deployments", self.root)
    }

    pub fn deployment(&self, id: &str) -> String {
        format!("{}/{id}", self.deployments())
    }

    pub fn tasks(&self) -> String {
        format!("{}/tasks", self.root)
    }

    pub fn task(&self, id: &str) -> String {
        format!("{}/{id}", self.tasks())
    }

    pub fn quarantine(&self) -> String {
        format!("{}/quarantine", self.root)
    }

    /// Where the record at `path` goes when it cannot be read.
    pub fn quarantined(&self, path: &str) -> String {
        format!("{}/{}", self.quarantine(), path.replace('%', "%25").replace('/', "%2F"))
    }
}

/// `/a/b` → `a_b`.
pub fn app_key(app_id: &str) -> String {
    app_id.trim_start_matches('/').replace('/', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_thing_has_its_own_znode() {
        let layout = StoreLayout::new("/corral/marathon/");
        assert_eq!(layout.app("/shop/web"), "/corral/marathon/apps/shop_web");
        assert_eq!(
            layout.app_version("/shop/web", 1_700_000_000_123),
            "/corral/marathon/versions/shop_web/1700000000123"
        );
        assert_eq!(layout.deployment("d-1"), "/corral/marathon/deployments/d-1");
        assert_eq!(layout.framework_id(), "/corral/marathon/framework-id");
        assert_eq!(layout.task("shop_web.1"), "/corral/marathon/tasks/shop_web.1");
        assert_eq!(
            layout.quarantined("/corral/marathon/apps/shop_web%"),
            "/corral/marathon/quarantine/%2Fcorral%2Fmarathon%2Fapps%2Fshop_web%25"
        );
    }
}
