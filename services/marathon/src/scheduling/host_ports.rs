//! Choosing one task's host ports among the port ranges an offer holds in the accepted roles.
//!
//! Fixed ports must be offered. Dynamic ports are taken in order through the offered ports seen as
//! one sorted sequence, starting at a point the caller chooses and wrapping around (Marathon starts
//! at a random point so that a port freed by one task is not handed at once to the next; start 0
//! takes the lowest ports), and never one a fixed request of the same task takes.

use super::requirements::PortRequest;

/// An offered range of ports (inclusive) and the index of the role that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct OfferedRange {
    pub(super) begin: u16,
    pub(super) end: u16,
    pub(super) role: usize,
}

impl OfferedRange {
    /// The part of a `ports` range that can be a host port (1-65535), if any.
    pub(super) fn clipped(begin: u64, end: u64, role: usize) -> Option<OfferedRange> {
        let (begin, end) = (begin.max(1), end.min(u64::from(u16::MAX)));
        (begin <= end).then_some(OfferedRange { begin: begin as u16, end: end as u16, role })
    }

    fn len(&self) -> u64 {
        u64::from(self.end - self.begin) + 1
    }

    fn ports(self) -> impl Iterator<Item = (u16, usize)> {
        (self.begin..=self.end).map(move |port| (port, self.role))
    }
}

/// A chosen host port and the index of the role it comes from.
pub(super) type HostPort = (u16, usize);

/// Host ports for `requests`, in their order (`None` for `NoHostPort`), from `offered` (sorted by
/// port); dynamic ones from the `start`-th offered port on (modulo how many are offered).
pub(super) fn choose_host_ports(
    requests: &[PortRequest],
    offered: &[OfferedRange],
    start: u64,
) -> Result<Vec<Option<HostPort>>, String> {
    let mut chosen = vec![None; requests.len()];
    let mut fixed = Vec::new();
    for (slot, request) in requests.iter().enumerate() {
        if let PortRequest::Fixed(port) = *request {
            if fixed.contains(&port) {
                return Err(format!("host port {port} is requested twice"));
            }
            let range = offered
                .iter()
                .find(|range| range.begin <= port && port <= range.end)
                .ok_or_else(|| format!("host port {port} is not offered"))?;
            fixed.push(port);
            chosen[slot] = Some((port, range.role));
        }
    }
    let dynamic = requests.iter().filter(|request| **request == PortRequest::Dynamic).count();
    if dynamic == 0 {
        return Ok(chosen);
    }
    let total: u64 = offered.iter().map(OfferedRange::len).sum();
    let left = total - fixed.len() as u64;
    if left < dynamic as u64 {
        return Err(format!("{dynamic} dynamic host ports wanted, {left} offered"));
    }
    let mut picks = ports_from(offered, start % total).filter(|(port, _)| !fixed.contains(port));
    for (slot, request) in requests.iter().enumerate() {
        if *request == PortRequest::Dynamic {
            chosen[slot] = picks.next();
        }
    }
    Ok(chosen)
}

/// Every offered port once, from the `index`-th (which must be below the number offered) on, wrapping.
fn ports_from(offered: &[OfferedRange], mut index: u64) -> impl Iterator<Item = HostPort> + '_ {
    let mut at = 0;
    while index >= offered[at].len() {
        index -= offered[at].len();
        at += 1;
    }
    let split = offered[at];
    let middle = split.begin + index as u16;
    let head = OfferedRange { begin: middle, ..split };
    let tail = (index > 0).then(|| OfferedRange { end: middle - 1, ..split });
    head.ports()
        .chain(offered[at + 1..].iter().chain(&offered[..at]).flat_map(|range| range.ports()))
        .chain(tail.into_iter().flat_map(OfferedRange::ports))
}
