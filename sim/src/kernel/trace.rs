//! Typed traces and their stable hash.
//!
//! Each lab records what happened as a list of typed records (enums, not
//! strings). The hash of a trace must be the same natively and on wasm32, so it
//! is computed with FNV-1a over a `Hasher` whose `usize`/`isize` writes are
//! widened to 64 bits: `#[derive(Hash)]` writes enum discriminants as `isize`,
//! which is 4 bytes on wasm32 and 8 natively with the standard hashers.

use crate::time::SimTime;
use serde::Serialize;
use std::hash::{Hash, Hasher};

/// FNV-1a, 64-bit, with platform-independent integer widths.
#[derive(Clone, Debug)]
pub struct StableHasher {
    state: u64,
}

impl Default for StableHasher {
    fn default() -> Self {
        StableHasher { state: 0xcbf2_9ce4_8422_2325 }
    }
}

impl Hasher for StableHasher {
    fn finish(&self) -> u64 {
        self.state
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.state ^= u64::from(*b);
            self.state = self.state.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }
    fn write_u16(&mut self, i: u16) {
        self.write(&i.to_le_bytes());
    }
    fn write_u32(&mut self, i: u32) {
        self.write(&i.to_le_bytes());
    }
    fn write_u64(&mut self, i: u64) {
        self.write(&i.to_le_bytes());
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_isize(&mut self, i: isize) {
        self.write_u64(i as i64 as u64);
    }
}

/// The stable hash of any hashable value.
pub fn stable_hash<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = StableHasher::default();
    value.hash(&mut h);
    h.finish()
}

/// One record of a trace: when it happened and what happened.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Stamped<R> {
    /// Simulated time of the record.
    pub at: SimTime,
    /// The typed record.
    pub record: R,
}

/// An append-only, bounded list of typed records.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Trace<R> {
    records: Vec<Stamped<R>>,
    /// Records beyond the bound are counted, not kept, so a huge run stays
    /// bounded in memory while its counters stay exact.
    dropped: u64,
    #[serde(skip)]
    len_max: usize,
}

impl<R> Trace<R> {
    /// An empty trace that keeps at most `len_max` records.
    pub fn with_limit(len_max: usize) -> Self {
        Trace { records: Vec::new(), dropped: 0, len_max }
    }

    /// Appends a record, or counts it as dropped past the bound.
    pub fn push(&mut self, at: SimTime, record: R) {
        if self.records.len() < self.len_max {
            self.records.push(Stamped { at, record });
        } else {
            self.dropped += 1;
        }
    }

    /// Counts `n` more records as dropped, for an engine that stops
    /// building records once it knows the trace is full: the same trace as
    /// pushing them one by one.
    pub fn count_dropped(&mut self, n: u64) {
        self.dropped += n;
    }

    /// The kept records.
    pub fn records(&self) -> &[Stamped<R>] {
        &self.records
    }

    /// How many records were past the bound.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Number of kept records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no record was kept.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

impl<R: Hash> Trace<R> {
    /// The stable hash of the kept records and the dropped count.
    pub fn stable_hash(&self) -> u64 {
        let mut h = StableHasher::default();
        self.records.hash(&mut h);
        self.dropped.hash(&mut h);
        h.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Hash)]
    enum Sample {
        A,
        B(u32),
        C { n: usize, s: &'static str },
    }

    #[test]
    fn fnv1a_matches_its_reference_vectors() {
        let mut h = StableHasher::default();
        h.write(b"");
        assert_eq!(h.finish(), 0xcbf29ce484222325);
        let mut h = StableHasher::default();
        h.write(b"a");
        assert_eq!(h.finish(), 0xaf63dc4c8601ec8c);
    }

    #[test]
    fn enum_hashes_are_pinned_so_platform_width_cannot_change_them() {
        // These constants are also checked on wasm32 by the browser tests:
        // the discriminant and `usize` are hashed as 64-bit on both.
        let v = vec![Sample::A, Sample::B(7), Sample::C { n: 3, s: "x" }];
        assert_eq!(stable_hash(&v), PINNED_SAMPLE_HASH);
    }

    /// The hash of the sample above, computed once and kept.
    const PINNED_SAMPLE_HASH: u64 = 10566095967097437388;

    #[test]
    fn the_trace_bound_counts_what_it_drops() {
        let mut t = Trace::with_limit(2);
        for i in 0..5u32 {
            t.push(SimTime(u64::from(i)), i);
        }
        assert_eq!(t.len(), 2);
        assert_eq!(t.dropped(), 3);
    }
}
