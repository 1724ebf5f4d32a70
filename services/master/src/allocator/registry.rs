//! `Registry`: values in numbered slots, also found by key. The allocator's hot loop refers to
//! agents and frameworks by slot (no hashing or cloning of id strings); its API finds them by id.
//!
//! A slot is reused after its value is removed, so whoever removes a value must first drop every
//! slot number it kept for it. Indexing a vacant slot is such a broken promise, and panics.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::ops::{Index, IndexMut};

#[derive(Debug)]
pub(super) struct Registry<K, V> {
    slots: Vec<Option<V>>,
    by_key: HashMap<K, usize>,
    vacant: Vec<usize>,
}

impl<K: Hash + Eq, V> Registry<K, V> {
    pub(super) fn new() -> Self {
        Registry { slots: Vec::new(), by_key: HashMap::new(), vacant: Vec::new() }
    }

    /// Stores `value` under `key`, which must not be present yet, and returns its slot.
    pub(super) fn insert(&mut self, key: K, value: V) -> usize {
        debug_assert!(!self.by_key.contains_key(&key), "a key is registered twice");
        let slot = match self.vacant.pop() {
            Some(slot) => {
                self.slots[slot] = Some(value);
                slot
            }
            None => {
                self.slots.push(Some(value));
                self.slots.len() - 1
            }
        };
        self.by_key.insert(key, slot);
        slot
    }

    pub(super) fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<(usize, V)>
    where
        K: Borrow<Q>,
    {
        let slot = self.by_key.remove(key)?;
        let value = self.slots[slot].take()?;
        self.vacant.push(slot);
        Some((slot, value))
    }

    pub(super) fn slot<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
    {
        self.by_key.get(key).copied()
    }

    pub(super) fn get(&self, slot: usize) -> Option<&V> {
        self.slots.get(slot).and_then(Option::as_ref)
    }

    pub(super) fn by_key<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.get(self.slot(key)?)
    }

    /// Occupied slots in slot order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (usize, &V)> {
        self.slots.iter().enumerate().filter_map(|(slot, value)| Some((slot, value.as_ref()?)))
    }

    pub(super) fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.slots.iter_mut().flatten()
    }
}

impl<K, V> Index<usize> for Registry<K, V> {
    type Output = V;

    fn index(&self, slot: usize) -> &V {
        self.slots[slot].as_ref().expect("a slot number outlived its value")
    }
}

impl<K, V> IndexMut<usize> for Registry<K, V> {
    fn index_mut(&mut self, slot: usize) -> &mut V {
        self.slots[slot].as_mut().expect("a slot number outlived its value")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_reused_only_after_removal() {
        let mut registry = Registry::new();
        let a = registry.insert("a", 1);
        let b = registry.insert("b", 2);
        assert_ne!(a, b);
        assert_eq!(registry.remove(&"a"), Some((a, 1)));
        assert_eq!(registry.remove(&"a"), None);
        assert_eq!(registry.get(a), None);
        let c = registry.insert("c", 3);
        assert_eq!(c, a);
        assert_eq!(registry.by_key(&"c"), Some(&3));
        assert_eq!(registry.iter().map(|(_, v)| *v).collect::<Vec<_>>(), vec![3, 2]);
        registry[b] += 40;
        assert_eq!(registry[b], 42);
    }
}
