//! `AllocatorConfig`: the master flags that shape allocation.

use std::collections::BTreeMap;

use corral_wire::mesos::ResourceSet;

#[derive(Debug, Clone)]
pub struct AllocatorConfig {
    /// Mesos `--weights`: a role of weight 2 is entitled to twice the dominant share of a role of
    /// weight 1. Roles not listed, and weights that are not positive and finite, weigh 1.
    pub role_weights: BTreeMap<String, f64>,
    /// Mesos `--min_allocatable_resources`: an agent's free resources are offered only when they
    /// contain at least one of these, so nobody is offered a lone port range or a sliver of memory.
    /// Empty: anything that is not empty is offered.
    pub min_allocatable: Vec<ResourceSet>,
    /// Seeds the random order in which each cycle visits agents.
    pub seed: u64,
}

impl AllocatorConfig {
    pub(super) fn weight(&self, role: &str) -> f64 {
        match self.role_weights.get(role) {
            Some(&weight) if weight.is_finite() && weight > 0.0 => weight,
            _ => 1.0,
        }
    }

    pub(super) fn allocatable(&self, free: &ResourceSet) -> bool {
        if self.min_allocatable.is_empty() {
            !free.is_empty()
        } else {
            self.min_allocatable.iter().any(|minimum| free.contains(minimum))
        }
    }
}

impl Default for AllocatorConfig {
    /// Every role weighs 1; Mesos' default minimum of `cpus:0.01` or `mem:32`.
    fn default() -> Self {
        let minimum = |text| ResourceSet::parse(text).expect("the default minimum parses");
        AllocatorConfig {
            role_weights: BTreeMap::new(),
            min_allocatable: vec![minimum("cpus:0.01"), minimum("mem:32")],
            seed: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_default_to_one() {
        let weights = [("web", 2.0), ("zero", 0.0), ("negative", -1.0), ("nan", f64::NAN)];
        let config = AllocatorConfig {
            role_weights: weights.iter().map(|(role, weight)| (role.to_string(), *weight)).collect(),
            ..AllocatorConfig::default()
        };
        for (role, expected) in [("web", 2.0), ("zero", 1.0), ("negative", 1.0), ("nan", 1.0), ("other", 1.0)] {
            assert_eq!(config.weight(role), expected, "{role}");
        }
    }

    #[test]
    fn only_enough_free_resources_are_allocatable() {
        let default = AllocatorConfig::default();
        let anything = AllocatorConfig { min_allocatable: Vec::new(), ..AllocatorConfig::default() };
        for (free, by_default, by_anything) in [
            ("cpus:0.01", true, true),
            ("mem:32", true, true),
            ("cpus:0.005;mem:31;disk:1000;ports:[1-100]", false, true),
            ("ports:[31000-32000]", false, true),
            ("", false, false),
        ] {
            let free = ResourceSet::parse(free).unwrap();
            assert_eq!(default.allocatable(&free), by_default, "{free} by default");
            assert_eq!(anything.allocatable(&free), by_anything, "{free} with no minimum");
        }
    }
}
