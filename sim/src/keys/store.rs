//! The server's Idempotency-Key store: the state machine that resolves each
//! request's key to new, in progress (409), completed (replay) or a
//! fingerprint mismatch (422).
//!
//! A record carries a recovery point in the manner of Brandur Leach's
//! "Implementing Stripe-like Idempotency Keys in Postgres": `started` until the
//! charge is recorded, then `charge_created`. A released record (after a 5xx
//! under the release choice, or after a crash of a durable store's owner) can
//! be claimed again and resumes from its recovery point. With a lock timeout
//! (Brandur's `locked_at`), a key held longer than the timeout may be taken
//! over by a new request, which resumes from the recovery point too.
//!
//! Each record has a row id, assigned when the record is created; the server
//! derives its own Idempotency-Key at the provider from it, so a record that
//! is pruned or wiped and created again gets a new provider key.

use crate::time::{SimDuration, SimTime};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How far a request under a key got, as recorded in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryPoint {
    /// The key was claimed; no charge is recorded yet (the provider may have charged).
    Started,
    /// The provider's charge is recorded; only the response is missing.
    ChargeCreated,
}

/// The state of one key's record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum KeyState {
    /// A request holds the key and is running (`claim` names which one).
    InProgress {
        /// Where the running request has got to.
        point: RecoveryPoint,
        /// The claim token of the request that holds the key.
        claim: u64,
        /// When the holder took the lock (Brandur's `locked_at`).
        locked_at: SimTime,
    },
    /// Nobody holds the key; the next request with it resumes from `point`.
    Released {
        /// Where the last holder had got to.
        point: RecoveryPoint,
    },
    /// The response is stored and every retry gets it replayed.
    Completed {
        /// The stored status code.
        status: u16,
        /// The operation whose charge the stored response describes.
        for_op: u32,
    },
}

/// One key's record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct KeyRecord {
    /// The row's id, new for every record created.
    pub id: u64,
    /// The fingerprint of the request that created the record.
    pub fingerprint: u64,
    /// When the record was created (TTL counts from here, as Stripe's pruning does).
    pub created_at: SimTime,
    /// Its state.
    pub state: KeyState,
}

/// What the server does with a request that carries a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "resolution", rename_all = "snake_case")]
pub enum Resolution {
    /// The request now holds the key and runs, from the start or from a recovery point.
    Run {
        /// `None` for a fresh key, else the recovery point it resumes from.
        resumed_from: Option<RecoveryPoint>,
    },
    /// The key's lock is older than the lock timeout: the request takes it
    /// over and resumes from `point` (the old holder can no longer write).
    TakeOver {
        /// The recovery point it resumes from.
        point: RecoveryPoint,
        /// How old the lock was.
        age: SimDuration,
    },
    /// Another request holds the key: 409 Conflict, not stored, retryable.
    Conflict,
    /// The key was used with a different request: 422, not stored.
    Mismatch,
    /// The stored response is replayed with `Idempotent-Replayed: true`.
    Replay {
        /// The stored status.
        status: u16,
        /// The operation the stored response describes.
        for_op: u32,
    },
}

/// The key store. Keys are small integers standing for UUIDs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyStore {
    records: BTreeMap<u32, KeyRecord>,
    // The keys currently in progress, so that releasing a crashed server's
    // keys costs what it releases, not the size of the whole store.
    in_progress: BTreeSet<u32>,
    next_id: u64,
}

/// The recovery point a state carries, if any.
fn point_of(state: KeyState) -> Option<RecoveryPoint> {
    match state {
        KeyState::InProgress { point, .. } | KeyState::Released { point } => Some(point),
        KeyState::Completed { .. } => None,
    }
}

impl KeyStore {
    /// The record of `key`, if any.
    pub fn get(&self, key: u32) -> Option<&KeyRecord> {
        self.records.get(&key)
    }

    /// Whether `key`'s record is older than `ttl` at `now` (a zero TTL never expires).
    pub fn is_expired(&self, key: u32, now: SimTime, ttl: SimDuration) -> bool {
        ttl > SimDuration::ZERO && self.records.get(&key).is_some_and(|r| now >= r.created_at + ttl)
    }

    /// Drops an expired record, as a pruning job would; returns whether it
    /// did. Only completed records are pruned: like Stripe, which prunes keys
    /// whose response is stored, the lab never prunes a key still in progress
    /// or released with a recovery point, so pruning never starts a second
    /// execution of a request that is still under way.
    pub fn prune_if_expired(&mut self, key: u32, now: SimTime, ttl: SimDuration) -> bool {
        let completed = self.records.get(&key).is_some_and(|r| matches!(r.state, KeyState::Completed { .. }));
        let expired = completed && self.is_expired(key, now, ttl);
        if expired {
            self.records.remove(&key);
            self.in_progress.remove(&key);
        }
        expired
    }

    /// Resolves a request with `key` and `fingerprint` atomically: the check
    /// and the claim are one step, so two requests can never both run.
    /// `check_fingerprint` is the server's choice to compare fingerprints;
    /// `lock_timeout` lets a request take over a lock older than it (zero:
    /// never, locks are released at restart instead).
    pub fn resolve(
        &mut self,
        now: SimTime,
        key: u32,
        fingerprint: u64,
        check_fingerprint: bool,
        claim: u64,
        lock_timeout: SimDuration,
    ) -> Resolution {
        let Some(rec) = self.records.get_mut(&key) else {
            self.next_id += 1;
            self.records.insert(
                key,
                KeyRecord {
                    id: self.next_id,
                    fingerprint,
                    created_at: now,
                    state: KeyState::InProgress { point: RecoveryPoint::Started, claim, locked_at: now },
                },
            );
            self.in_progress.insert(key);
            debug_assert!(self.tracks(key), "K{key}: a new claim is indexed as in progress");
            return Resolution::Run { resumed_from: None };
        };
        // The draft answers 422 for a different payload whatever the key's
        // state, so the fingerprint is compared first.
        if check_fingerprint && rec.fingerprint != fingerprint {
            return Resolution::Mismatch;
        }
        match rec.state {
            KeyState::InProgress { point, locked_at, .. } => {
                let age = now.saturating_since(locked_at);
                if lock_timeout > SimDuration::ZERO && age >= lock_timeout {
                    rec.state = KeyState::InProgress { point, claim, locked_at: now };
                    Resolution::TakeOver { point, age }
                } else {
                    Resolution::Conflict
                }
            }
            KeyState::Released { point } => {
                rec.state = KeyState::InProgress { point, claim, locked_at: now };
                self.in_progress.insert(key);
                Resolution::Run { resumed_from: Some(point) }
            }
            KeyState::Completed { status, for_op } => Resolution::Replay { status, for_op },
        }
    }

    /// Records the charge's recovery point, if `claim` still holds the key.
    pub fn mark_charged(&mut self, key: u32, claim: u64) -> bool {
        let Some(KeyState::InProgress { locked_at, .. }) = self.records.get(&key).map(|r| r.state) else {
            return false;
        };
        self.update(key, claim, KeyState::InProgress { point: RecoveryPoint::ChargeCreated, claim, locked_at })
    }

    /// Stores the response, if `claim` still holds the key.
    pub fn complete(&mut self, key: u32, claim: u64, status: u16, for_op: u32) -> bool {
        self.update(key, claim, KeyState::Completed { status, for_op })
    }

    /// Releases the key keeping its recovery point, if `claim` still holds it.
    pub fn release(&mut self, key: u32, claim: u64, point: RecoveryPoint) -> bool {
        self.update(key, claim, KeyState::Released { point })
    }

    fn update(&mut self, key: u32, claim: u64, state: KeyState) -> bool {
        match self.records.get_mut(&key) {
            Some(rec) if matches!(rec.state, KeyState::InProgress { claim: c, .. } if c == claim) => {
                debug_assert!(
                    !(point_of(rec.state) == Some(RecoveryPoint::ChargeCreated)
                        && point_of(state) == Some(RecoveryPoint::Started)),
                    "K{key}'s recovery point went back from charge_created to started"
                );
                rec.state = state;
                if !matches!(state, KeyState::InProgress { .. }) {
                    self.in_progress.remove(&key);
                }
                debug_assert!(self.tracks(key), "K{key}: the in-progress index disagrees with its record");
                true
            }
            Some(_) | None => false,
        }
    }

    /// True when `key` is in the in-progress index exactly when its record is
    /// in progress (the index is what `release_orphans` walks).
    fn tracks(&self, key: u32) -> bool {
        let held = self.records.get(&key).is_some_and(|r| matches!(r.state, KeyState::InProgress { .. }));
        held == self.in_progress.contains(&key)
    }

    /// After a crash of a durable store's server, when the lab's recovery is
    /// "released at restart": every key still held by a dead request is
    /// released with its recovery point. (Brandur's design instead lets a
    /// request take over a lock older than a timeout; see `resolve`.)
    /// Returns the released keys and their points.
    pub fn release_orphans(&mut self) -> Vec<(u32, RecoveryPoint)> {
        let mut out = Vec::new();
        for key in std::mem::take(&mut self.in_progress) {
            if let Some(rec) = self.records.get_mut(&key) {
                if let KeyState::InProgress { point, .. } = rec.state {
                    rec.state = KeyState::Released { point };
                    out.push((key, point));
                }
            }
        }
        out
    }

    /// A volatile store loses everything on a crash.
    /// Returns the keys it forgot.
    pub fn wipe(&mut self) -> Vec<u32> {
        let keys = self.records.keys().copied().collect();
        self.records.clear();
        self.in_progress.clear();
        keys
    }

    /// How many keys are stored.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: SimTime = SimTime(0);
    const NO_TIMEOUT: SimDuration = SimDuration::ZERO;

    #[test]
    fn a_fresh_key_runs_and_a_second_request_while_it_runs_gets_409() {
        let mut s = KeyStore::default();
        assert_eq!(s.resolve(T0, 1, 10, true, 1, NO_TIMEOUT), Resolution::Run { resumed_from: None });
        assert_eq!(s.resolve(T0, 1, 10, true, 2, NO_TIMEOUT), Resolution::Conflict);
    }

    #[test]
    fn a_completed_key_replays_its_stored_response() {
        let mut s = KeyStore::default();
        s.resolve(T0, 1, 10, true, 1, NO_TIMEOUT);
        assert!(s.complete(1, 1, 201, 0));
        assert_eq!(s.resolve(T0, 1, 10, true, 2, NO_TIMEOUT), Resolution::Replay { status: 201, for_op: 0 });
    }

    #[test]
    fn a_different_payload_gets_422_with_the_fingerprint_and_a_replay_without() {
        let mut s = KeyStore::default();
        s.resolve(T0, 1, 10, true, 1, NO_TIMEOUT);
        assert_eq!(s.resolve(T0, 1, 99, true, 2, NO_TIMEOUT), Resolution::Mismatch);
        s.complete(1, 1, 201, 0);
        assert_eq!(s.resolve(T0, 1, 99, true, 3, NO_TIMEOUT), Resolution::Mismatch);
        // Without the fingerprint the second operation is answered with the
        // first one's response: the silent loss.
        assert_eq!(s.resolve(T0, 1, 99, false, 4, NO_TIMEOUT), Resolution::Replay { status: 201, for_op: 0 });
    }

    #[test]
    fn a_released_key_resumes_from_its_recovery_point() {
        let mut s = KeyStore::default();
        s.resolve(T0, 1, 10, true, 1, NO_TIMEOUT);
        assert!(s.mark_charged(1, 1));
        assert_eq!(s.release_orphans(), vec![(1, RecoveryPoint::ChargeCreated)]);
        assert_eq!(
            s.resolve(T0, 1, 10, true, 2, NO_TIMEOUT),
            Resolution::Run { resumed_from: Some(RecoveryPoint::ChargeCreated) }
        );
        // The dead claim can no longer write.
        assert!(!s.complete(1, 1, 201, 0));
        assert!(s.complete(1, 2, 201, 0));
    }

    #[test]
    fn an_expired_key_is_pruned_and_then_treated_as_new() {
        let mut s = KeyStore::default();
        let ttl = SimDuration::from_ms(100);
        s.resolve(T0, 1, 10, true, 1, NO_TIMEOUT);
        s.complete(1, 1, 201, 0);
        assert!(!s.prune_if_expired(1, SimTime::from_ms(99), ttl));
        assert!(s.prune_if_expired(1, SimTime::from_ms(100), ttl));
        assert_eq!(
            s.resolve(SimTime::from_ms(100), 1, 10, true, 2, NO_TIMEOUT),
            Resolution::Run { resumed_from: None }
        );
        // A zero TTL means keys never expire.
        assert!(!s.is_expired(1, SimTime::from_ms(1_000_000), SimDuration::ZERO));
    }

    #[test]
    fn only_keys_still_in_progress_are_released_after_a_crash() {
        let mut s = KeyStore::default();
        for key in 1..=4 {
            s.resolve(T0, key, 10, true, u64::from(key), NO_TIMEOUT);
        }
        s.complete(2, 2, 201, 0);
        s.release(3, 3, RecoveryPoint::Started);
        assert_eq!(s.release_orphans(), vec![(1, RecoveryPoint::Started), (4, RecoveryPoint::Started)]);
        assert_eq!(s.release_orphans(), vec![]);
        assert_eq!(s.get(2).map(|r| r.state), Some(KeyState::Completed { status: 201, for_op: 0 }));
    }

    #[test]
    fn a_lock_older_than_the_timeout_is_taken_over_and_a_younger_one_answers_409() {
        let mut s = KeyStore::default();
        let timeout = SimDuration::from_ms(100);
        s.resolve(T0, 1, 10, true, 1, timeout);
        assert_eq!(s.resolve(SimTime::from_ms(99), 1, 10, true, 2, timeout), Resolution::Conflict);
        assert_eq!(
            s.resolve(SimTime::from_ms(100), 1, 10, true, 3, timeout),
            Resolution::TakeOver { point: RecoveryPoint::Started, age: timeout }
        );
        // The old holder can no longer write; the new one can.
        assert!(!s.mark_charged(1, 1));
        assert!(s.mark_charged(1, 3));
        // Without a lock timeout the lock is never taken over.
        assert_eq!(s.resolve(SimTime::from_ms(10_000), 1, 10, true, 4, NO_TIMEOUT), Resolution::Conflict);
    }

    #[test]
    fn only_completed_keys_are_pruned_and_a_new_record_gets_a_new_id() {
        let mut s = KeyStore::default();
        let ttl = SimDuration::from_ms(100);
        s.resolve(T0, 1, 10, true, 1, NO_TIMEOUT);
        let first = s.get(1).map(|r| r.id);
        assert!(!s.prune_if_expired(1, SimTime::from_ms(500), ttl), "an in-progress key is never pruned");
        s.complete(1, 1, 201, 0);
        assert!(s.prune_if_expired(1, SimTime::from_ms(500), ttl));
        s.resolve(SimTime::from_ms(500), 1, 10, true, 2, NO_TIMEOUT);
        assert_ne!(s.get(1).map(|r| r.id), first);
    }

    #[test]
    fn a_wipe_forgets_every_key() {
        let mut s = KeyStore::default();
        s.resolve(T0, 1, 10, true, 1, NO_TIMEOUT);
        s.resolve(T0, 2, 11, true, 2, NO_TIMEOUT);
        assert_eq!(s.wipe(), vec![1, 2]);
        assert_eq!(s.resolve(T0, 1, 10, true, 3, NO_TIMEOUT), Resolution::Run { resumed_from: None });
    }
}
