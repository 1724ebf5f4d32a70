//! Scalar quantities as the DRF arithmetic needs them: amounts in thousandths at fixed positions,
//! one per scalar resource name seen in the cluster, and the dominant share of an amount.
//!
//! `ResourceSet` keys its amounts by strings; shares are compared for every framework at every
//! agent of a cycle, so they are computed from these flat vectors instead. Ranges and sets (ports)
//! have no share: they are carried along in offers but never make a framework's share.

use std::collections::BTreeMap;

use corral_wire::mesos::ResourceSet;

/// The scalar resource names of the cluster, each with its position in every `Quantities`.
#[derive(Debug, Default)]
pub(super) struct ScalarNames {
    positions: BTreeMap<String, usize>,
}

impl ScalarNames {
    /// Gives a position to every scalar name of `resources` not seen before.
    pub(super) fn learn(&mut self, resources: &ResourceSet) {
        for name in resources.scalar_names() {
            if !self.positions.contains_key(name) {
                let position = self.positions.len();
                self.positions.insert(name.to_string(), position);
            }
        }
    }

    /// The scalar amounts of `resources`. A name never learned is left out: no agent has it, so
    /// it cannot make up anyone's share.
    pub(super) fn quantities(&self, resources: &ResourceSet) -> Quantities {
        let mut amounts = vec![0; self.positions.len()];
        for name in resources.scalar_names() {
            if let Some(&position) = self.positions.get(name) {
                amounts[position] = (resources.scalar(name) * 1000.0).round() as i64;
            }
        }
        Quantities(amounts)
    }
}

/// Scalar amounts in thousandths, by position in `ScalarNames`; missing positions are zero.
#[derive(Debug, Clone, Default)]
pub(super) struct Quantities(Vec<i64>);

impl PartialEq for Quantities {
    /// Missing positions are zero, so `[1]` equals `[1, 0]`.
    fn eq(&self, other: &Quantities) -> bool {
        let longest = self.0.len().max(other.0.len());
        (0..longest).all(|i| self.0.get(i).unwrap_or(&0) == other.0.get(i).unwrap_or(&0))
    }
}

impl Eq for Quantities {}

impl Quantities {
    pub(super) fn add(&mut self, other: &Quantities) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            *mine += theirs;
        }
    }

    /// Takes `other` away; amounts never go below zero.
    pub(super) fn subtract(&mut self, other: &Quantities) {
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            *mine = (*mine - theirs).max(0);
        }
    }

    /// The largest fraction of `total` these amounts make, over every scalar `total` has.
    pub(super) fn dominant_share(&self, total: &Quantities) -> f64 {
        self.0
            .iter()
            .zip(&total.0)
            .filter(|(_, total)| **total > 0)
            .map(|(amount, total)| *amount as f64 / *total as f64)
            .fold(0.0, f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(total: &str, allocated: &str, expected_share: f64) {
        let mut names = ScalarNames::default();
        let total = ResourceSet::parse(total).unwrap();
        names.learn(&total);
        let share = names.quantities(&ResourceSet::parse(allocated).unwrap()).dominant_share(&names.quantities(&total));
        assert!((share - expected_share).abs() < 1e-12, "{allocated} of {total}: {share}, expected {expected_share}");
    }

    #[test]
    fn the_dominant_share_is_the_largest_scalar_fraction() {
        check("cpus:9;mem:18", "cpus:1;mem:4", 4.0 / 18.0);
        check("cpus:9;mem:18", "cpus:3;mem:1", 3.0 / 9.0);
        check("cpus:10;mem:100;gpus:2", "cpus:1;gpus:1", 0.5);
        check("cpus:4;mem:100;ports:[1-10]", "ports:[1-10]", 0.0);
        check("cpus:4", "disk:100", 0.0);
        check("", "cpus:1", 0.0);
        check("cpus:0.003", "cpus:0.001", 1.0 / 3.0);
    }

    #[test]
    fn arithmetic_is_exact_and_never_negative() {
        let mut names = ScalarNames::default();
        names.learn(&ResourceSet::parse("cpus:1;mem:1").unwrap());
        let tenth = names.quantities(&ResourceSet::parse("cpus:0.1").unwrap());
        let mut sum = Quantities::default();
        for _ in 0..10 {
            sum.add(&tenth);
        }
        assert_eq!(sum, names.quantities(&ResourceSet::parse("cpus:1").unwrap()));
        sum.subtract(&names.quantities(&ResourceSet::parse("cpus:2;mem:1").unwrap()));
        assert_eq!(sum, names.quantities(&ResourceSet::new()));
        assert_eq!(sum, Quantities::default());
    }
}
