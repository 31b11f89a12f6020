//! The lock table: every lock and wait of a run in one place, laid out as
//! PostgreSQL 15 keeps them, so that a database engineer finds here what
//! `pg_locks` and `pg_blocking_pids` would show.
//!
//! How it maps to PostgreSQL (src/backend/access/heap/heapam.c and
//! src/backend/storage/lmgr/):
//! - **Row locks** (`FOR UPDATE`, an UPDATE's own lock) are not in the lock
//!   manager: PostgreSQL writes them into the row version itself (the tuple's
//!   `xmax` with lock bits in `t_infomask`). The model does the same: a row
//!   version's `locker` and `xmax` (in `engine.rs`) are its row lock.
//! - **Waiting for a row**: heapam.c's `heap_lock_tuple` and `heap_update`,
//!   finding the row locked or updated by a live transaction, first take the
//!   row's *tuple lock* (a heavyweight lmgr lock on the tuple's id) and then
//!   wait on the holder's transaction id (`XactLockTableWait`). A second
//!   waiter blocks on the tuple lock, behind the first: that is the row's
//!   queue. `WaitEntry::tuple_lock` marks a wait that queues there; the
//!   queue's order is `WaitEntry::seq` (first come, first served).
//! - **Waiting on a transaction id alone**: an INSERT whose unique check meets
//!   an uncommitted key (`_bt_check_unique`), or a row being updated, waits in
//!   `XactLockTableWait` without a tuple lock: no queue, every such waiter
//!   names the holder.
//! - **Advisory locks** (`pg_advisory_xact_lock`, docs 13.3.5) are lmgr locks
//!   on a user key, held by a transaction until it ends.
//! - **Deadlocks**: lmgr's `DeadLockCheck` runs in a waiter when its
//!   `deadlock_timeout` fires; the engine runs it when a wait begins (see
//!   `locks.rs`, `begin_wait`).
//!
//! A client waiting for its first attempt to end (`AWAIT`) is kept here too:
//! it is not a database lock, but it is a wait, and a waiting actor cannot step.

use super::*;

/// A transaction's number in the run (every BEGIN or autocommit statement makes one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct TxnId(u16);

impl TxnId {
    /// No transaction of the run: an observer after it, as the final rows are read.
    pub(super) const OBSERVER: TxnId = TxnId(u16::MAX);

    /// The `i`-th transaction of the run.
    pub(super) fn nth(i: usize) -> TxnId {
        debug_assert!(i < u16::MAX as usize, "a run makes at most STEPS_MAX transactions");
        TxnId(i as u16)
    }

    /// Its index in the run's transaction list.
    pub(super) fn index(self) -> usize {
        self.0 as usize
    }
}

/// An actor as the engine's tables index it; the records name it by its
/// number ([`Actor`], shown to learners as T1, T2…).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct ActorId(pub(super) Actor);

impl ActorId {
    /// Its index in the run's actor list.
    pub(super) fn index(self) -> usize {
        self.0 as usize
    }

    /// Every actor of a run of `n` actors, in order.
    pub(super) fn all(n: usize) -> impl Iterator<Item = ActorId> {
        debug_assert!(n <= ACTORS_MAX, "{n} actors, past the limit {ACTORS_MAX}");
        (0..n as Actor).map(ActorId)
    }
}

/// What a waiting actor waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Wait {
    /// A transaction to end (a row lock, a key, the advisory lock).
    Txn(TxnId, WaitReason),
    /// Another actor to answer its client (`AWAIT`).
    ActorEnd(Actor),
    /// Another actor's session to give up its session-level advisory lock.
    Session(Actor),
}

/// One actor's wait and where it stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct WaitEntry {
    /// What it waits for.
    pub(super) wait: Wait,
    /// When the wait began (a run-wide counter): the row's queue is first come, first served.
    pub(super) seq: u32,
    /// Whom the wait is shown on: the lock's holder, or the tuple-lock waiter ahead in the queue.
    pub(super) shown_on: Actor,
    /// Whether the wait queues on the row's tuple lock rather than on a
    /// transaction id alone (see the header).
    pub(super) tuple_lock: bool,
    /// Whether, when this tuple-lock wait began, the holder had already
    /// updated the row (not only locked it): see `wake_txn_waiters`.
    pub(super) saw_update: bool,
}

/// Every lock and wait of a run, except the row locks written in the rows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct LockTable {
    /// The transaction holding the advisory lock on the request's key, if any
    /// (it may have ended: a holder counts only while it is active), and the
    /// savepoint depth it took it at: ROLLBACK TO a savepoint before that
    /// releases it (checked on PostgreSQL 15.18 with pg_locks), RELEASE keeps it.
    advisory: Option<(TxnId, u8)>,
    /// The actor whose session holds the session-level advisory lock on the
    /// key, and how many times it took it (each `pg_advisory_unlock` gives
    /// one back). It outlives transactions, and the actor's answer: a pooled
    /// connection keeps it (docs 13.3.5).
    session: Option<(Actor, u8)>,
    /// Each actor's wait, by actor index.
    waits: Vec<Option<WaitEntry>>,
    /// Waits on transactions begun so far in the run.
    waits_begun: u32,
}

/// What a row-lock attempt (FOR UPDATE, UPDATE) found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum LockAttempt {
    /// No other live transaction holds the rows: these rows (the newest
    /// version of each visible row) are the statement's.
    Locked(Vec<usize>),
    /// A live transaction holds or is updating a row: wait for it to end.
    Wait(TxnId, WaitReason),
    /// The statement fails at once (SERIALIZABLE meeting a row a committed
    /// transaction replaced: 40001).
    Fails(SqlState),
}

impl LockTable {
    /// An empty table for `actors` actors.
    pub(super) fn new(actors: usize) -> LockTable {
        debug_assert!(actors <= ACTORS_MAX, "{actors} actors, past the limit {ACTORS_MAX}");
        LockTable { advisory: None, session: None, waits: vec![None; actors], waits_begun: 0 }
    }

    /// What `a` waits for, if it waits.
    pub(super) fn wait_of(&self, a: ActorId) -> Option<Wait> {
        self.entry(a).map(|e| e.wait)
    }

    /// `a`'s wait with its place in the queues.
    pub(super) fn entry(&self, a: ActorId) -> Option<WaitEntry> {
        self.waits.get(a.index()).copied().flatten()
    }

    /// Whether `a` waits.
    pub(super) fn waits(&self, a: ActorId) -> bool {
        self.entry(a).is_some()
    }

    /// `a` begins to wait for another actor's answer.
    pub(super) fn await_actor(&mut self, a: ActorId, o: Actor) {
        debug_assert!(!self.waits(a), "an actor waits for one thing at a time");
        let e = WaitEntry { wait: Wait::ActorEnd(o), seq: 0, shown_on: o, tuple_lock: false, saw_update: false };
        self.waits[a.index()] = Some(e);
    }

    /// `a` begins to wait for transaction `t`; returns the wait's place in the run's order.
    pub(super) fn begin_txn_wait(
        &mut self,
        a: ActorId,
        t: TxnId,
        reason: WaitReason,
        shown_on: Actor,
        tuple_lock: bool,
        saw_update: bool,
    ) -> u32 {
        debug_assert!(!self.waits(a), "an actor waits for one thing at a time");
        self.waits_begun += 1;
        let seq = self.waits_begun;
        self.waits[a.index()] = Some(WaitEntry { wait: Wait::Txn(t, reason), seq, shown_on, tuple_lock, saw_update });
        seq
    }

    /// Puts back a wait taken out to look again (see `wake_partial`), in its place in the queue.
    pub(super) fn restore(&mut self, a: ActorId, e: WaitEntry) {
        debug_assert!(!self.waits(a), "an actor waits for one thing at a time");
        self.waits[a.index()] = Some(e);
    }

    /// `a` stops waiting (it resumes, or it ended).
    pub(super) fn end_wait(&mut self, a: ActorId) {
        self.waits[a.index()] = None;
    }

    /// The actors waiting for transaction `t`, first come first.
    pub(super) fn waiters_on(&self, t: TxnId) -> Vec<ActorId> {
        let mut v: Vec<ActorId> = ActorId::all(self.waits.len())
            .filter(|&w| matches!(self.wait_of(w), Some(Wait::Txn(on, _)) if on == t))
            .collect();
        v.sort_by_key(|&w| self.entry(w).map_or(0, |e| e.seq));
        v
    }

    /// The first tuple-lock waiter for a row `t` holds, other than `a`: the
    /// head of the row's queue.
    pub(super) fn queue_head(&self, t: TxnId, a: ActorId) -> Option<ActorId> {
        ActorId::all(self.waits.len())
            .filter(|&o| {
                o != a
                    && self.entry(o).is_some_and(|e| {
                        e.tuple_lock && matches!(e.wait, Wait::Txn(t2, WaitReason::RowLock) if t2 == t)
                    })
            })
            .min_by_key(|&o| self.entry(o).map_or(0, |e| e.seq))
    }

    /// Every wait, by actor, for the lock panel.
    pub(super) fn entries(&self) -> impl Iterator<Item = (ActorId, WaitEntry)> + '_ {
        self.waits.iter().enumerate().filter_map(|(i, e)| e.map(|e| (ActorId(i as Actor), e)))
    }

    /// The transaction recorded as the advisory lock's holder (check that it is active).
    pub(super) fn advisory_holder(&self) -> Option<TxnId> {
        self.advisory.map(|(t, _)| t)
    }

    /// The actor whose session holds the session-level advisory lock.
    pub(super) fn session_holder(&self) -> Option<Actor> {
        self.session.map(|(a, _)| a)
    }

    /// `a`'s session takes the session-level lock (once more, if it holds it).
    pub(super) fn take_session(&mut self, a: Actor) {
        self.session = match self.session {
            Some((h, n)) if h == a => Some((h, n.saturating_add(1))),
            Some(_) | None => Some((a, 1)),
        };
    }

    /// `a`'s session gives the lock back once; false when it did not hold it.
    pub(super) fn unlock_session(&mut self, a: Actor) -> bool {
        match self.session {
            Some((h, n)) if h == a => {
                self.session = (n > 1).then_some((h, n - 1));
                true
            }
            Some(_) | None => false,
        }
    }

    /// `a` begins to wait for the session-level lock `h`'s session holds.
    pub(super) fn begin_session_wait(&mut self, a: ActorId, h: Actor) -> u32 {
        debug_assert!(!self.waits(a), "an actor waits for one thing at a time");
        debug_assert!(a.0 != h, "a session never waits for the lock it holds itself");
        self.waits_begun += 1;
        let seq = self.waits_begun;
        let e = WaitEntry { wait: Wait::Session(h), seq, shown_on: h, tuple_lock: false, saw_update: false };
        self.waits[a.index()] = Some(e);
        seq
    }

    /// The actors waiting for `h`'s session lock, first come first.
    pub(super) fn session_waiters(&self, h: Actor) -> Vec<ActorId> {
        let mut v: Vec<ActorId> =
            ActorId::all(self.waits.len()).filter(|&w| self.wait_of(w) == Some(Wait::Session(h))).collect();
        v.sort_by_key(|&w| self.entry(w).map_or(0, |e| e.seq));
        v
    }

    /// Transaction `t` takes the advisory lock at savepoint depth `depth`
    /// (taking it again keeps the depth it was first taken at).
    pub(super) fn take_advisory(&mut self, t: TxnId, depth: u8) {
        match self.advisory {
            Some((h, _)) if h == t => {}
            Some(_) | None => self.advisory = Some((t, depth)),
        }
    }

    /// Transaction `t` ended: the advisory lock it held goes.
    pub(super) fn release_txn(&mut self, t: TxnId) {
        if self.advisory_holder() == Some(t) {
            self.advisory = None;
        }
    }

    /// Transaction `t` rolled back to savepoint depth `from`: a lock it took at that depth or deeper goes.
    pub(super) fn release_sub(&mut self, t: TxnId, from: u8) {
        if matches!(self.advisory, Some((h, d)) if h == t && d >= from) {
            self.advisory = None;
        }
    }

    /// Transaction `t` released the savepoints deeper than `to`: their lock now belongs to depth `to`.
    pub(super) fn merge_sub(&mut self, t: TxnId, to: u8) {
        if let Some((h, d)) = self.advisory.as_mut() {
            if *h == t && *d > to {
                *d = to;
            }
        }
    }
}

impl LockTable {
    /// Feeds `h` what of the table can change a run's future, for the
    /// explorer's key (`future.rs`): the advisory holder (renamed) with the
    /// savepoint depth it took the lock at, the session lock's holder and
    /// count, and each actor's wait with whom it is shown on, its tuple-lock
    /// and `saw_update` flags and, instead of its absolute `seq`, its rank
    /// among the waits present: `seq` is read only to order waits (the
    /// queues, the deadlock victim), and every new wait comes after all of
    /// them. The wait counter is history (it only makes the next `seq`
    /// larger) and is left out. Exhaustive on purpose, like `hash_future`.
    pub(super) fn hash_future<H: std::hash::Hasher>(&self, n: &super::Names, h: &mut H) {
        use std::hash::Hash;
        let LockTable { advisory, session, waits, waits_begun: _ } = self;
        advisory.map(|(t, depth)| (n.txn(t), depth)).hash(h);
        session.hash(h);
        waits.len().hash(h);
        for e in waits {
            let Some(WaitEntry { wait, seq, shown_on, tuple_lock, saw_update }) = e else {
                0u8.hash(h);
                continue;
            };
            match *wait {
                Wait::Txn(t, reason) => (1u8, n.txn(t), reason).hash(h),
                Wait::ActorEnd(o) => (2u8, o).hash(h),
                Wait::Session(o) => (3u8, o).hash(h),
            }
            let rank = waits.iter().flatten().filter(|o| o.seq < *seq).count();
            (rank, shown_on, tuple_lock, saw_update).hash(h);
        }
    }
}
