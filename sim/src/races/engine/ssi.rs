//! Serializable Snapshot Isolation for a table with no index on key, as
//! PostgreSQL 15 runs it (src/backend/storage/lmgr/README-SSI and
//! predicate.c; docs 13.2.3). With no index, `WHERE key = $1` is a
//! sequential scan, and a sequential scan at SERIALIZABLE takes a SIREAD
//! lock on the whole table. The model keeps, per serializable transaction,
//! what predicate.c keeps: whether it holds that lock, whether it wrote,
//! whether it is doomed, its snapshot's and its commit's place in the
//! serializable commit order, and the rw-conflicts between transactions
//! ("R read the key before W wrote it": R must come before W in any serial
//! order). A failure needs a dangerous structure T_in → pivot → T_out in
//! which T_out commits first; the checks are predicate.c's, at the same
//! three places: when a write meets another's SIREAD lock
//! (`CheckForSerializableConflictIn`), when a read meets a version it cannot
//! see or a newer version it cannot see (`CheckForSerializableConflictOut`),
//! and at COMMIT (`PreCommit_CheckForSerializationFailure`).
//!
//! Left out, as it changes no answer here: summarised and promoted locks (one
//! table, one key, far below `max_pred_locks_per_transaction`); READ ONLY
//! (not in the handler language; the implicit read-only flag of a
//! transaction that commits without writing is kept); PREPARE TRANSACTION
//! (COMMIT prepares and commits in one step). PostgreSQL decides whether a
//! committed reader still overlaps a writer by the writer's snapshot xmin,
//! which another session can hold back; the model uses the commit order,
//! the same answer with two lanes (the handler check refuses a third).

use super::*;
use serde::{Deserialize, Serialize};

/// What a write did to the key, for the words of a conflict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteKind {
    /// An INSERT.
    Inserted,
    /// An UPDATE.
    Updated,
}

impl WriteKind {
    fn verb(self) -> &'static str {
        match self {
            WriteKind::Inserted => "inserted",
            WriteKind::Updated => "updated",
        }
    }
}

/// A dangerous structure: `t_in` read the key before `pivot` wrote it
/// (`pivot_wrote`), and `pivot` read it before `t_out` wrote it
/// (`out_wrote`), and `t_out` commits first. When `t_in` is `t_out`, the
/// two read the key before each other's write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Dangerous {
    /// The transaction whose read comes first.
    pub t_in: Actor,
    /// The transaction in the middle: read by `t_in`'s order, written after.
    pub pivot: Actor,
    /// What the pivot wrote.
    pub pivot_wrote: WriteKind,
    /// The transaction the pivot read before it wrote.
    pub t_out: Actor,
    /// What `t_out` wrote.
    pub out_wrote: WriteKind,
}

impl Dangerous {
    /// The structure in plain words, the pivot's read first.
    pub fn words(&self) -> String {
        let t = |a: Actor| format!("T{}", a + 1);
        format!(
            "{} read the key before {} {} it, and {} read it before {} {} it: one of them must fail",
            t(self.pivot),
            t(self.t_out),
            self.out_wrote.verb(),
            t(self.t_in),
            t(self.pivot),
            self.pivot_wrote.verb()
        )
    }
}

/// predicate.c's SERIALIZABLEXACT, for the fields a handler can reach.
#[derive(Clone, Copy, Debug)]
pub(super) struct Sxact {
    pub(super) txn: TxnId,
    owner: Actor,
    /// `lastCommitBeforeSnapshot`: the serializable commit count when the snapshot was taken.
    pub(super) snapshot_seq: u32,
    /// Holds the SIREAD lock on the table (a sequential scan took it).
    siread: bool,
    /// Wrote something (predicate.c's `MyXactDidWrite`).
    wrote: bool,
    /// Marked to fail at its next check, and the structure that decided it.
    doomed: Option<Dangerous>,
    /// `prepareSeqNo` and `commitSeqNo`, once it committed.
    pub(super) committed: Option<(u32, u32)>,
    /// Committed without writing (`SXACT_FLAG_READ_ONLY`, set at commit).
    read_only: bool,
    /// `SXACT_FLAG_CONFLICT_OUT`: at its commit it had a conflict out to a
    /// transaction that committed first; the earliest such prepare, and who.
    conflict_out: Option<(u32, Actor, WriteKind)>,
}

/// A rw-conflict: `reader` read the key before `writer` wrote it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Edge {
    pub(super) reader: TxnId,
    pub(super) writer: TxnId,
    pub(super) wrote: WriteKind,
}

/// The SSI state of a run: empty unless the table has no index on key.
#[derive(Clone, Debug, Default)]
pub(super) struct Ssi {
    pub(super) sxacts: Vec<Sxact>,
    pub(super) edges: Vec<Edge>,
    /// `LastSxactCommitSeqNo`.
    pub(super) seq: u32,
    /// The structure behind the 40001 the current statement is about to
    /// return; taken by `finish_stmt` in the same step, so it is always None
    /// between steps (and left out of the state key).
    pub(super) failure: Option<Dangerous>,
}

/// Most serializable transactions the model tracks at once: two lanes'
/// current ones and the committed ones they still overlap.
const SXACTS_MAX: usize = 8;

impl Ssi {
    fn find(&self, t: TxnId) -> Option<usize> {
        self.sxacts.iter().position(|x| x.txn == t)
    }

    fn edge(&self, reader: TxnId, writer: TxnId) -> Option<&Edge> {
        self.edges.iter().find(|e| e.reader == reader && e.writer == writer)
    }

    fn owner(&self, t: TxnId) -> Actor {
        self.find(t).map_or(0, |i| self.sxacts[i].owner)
    }

    /// A serializable transaction takes its snapshot: it gets its SERIALIZABLEXACT.
    pub(super) fn register(&mut self, txn: TxnId, owner: Actor) {
        debug_assert!(self.find(txn).is_none(), "a transaction takes one snapshot");
        debug_assert!(self.sxacts.len() < SXACTS_MAX, "old committed transactions are pruned");
        self.sxacts.push(Sxact {
            txn,
            owner,
            snapshot_seq: self.seq,
            siread: false,
            wrote: false,
            doomed: None,
            committed: None,
            read_only: false,
            conflict_out: None,
        });
    }

    /// Whether `t` committed after `me` took its snapshot (so they overlap).
    fn committed_after_snapshot_of(&self, t: usize, me: usize) -> bool {
        self.sxacts[t].committed.is_some_and(|(_, c)| c > self.sxacts[me].snapshot_seq)
    }

    /// `FlagRWConflict(reader, writer)` run by `me`: the failure checks of
    /// `OnConflict_CheckForSerializationFailure`, then the conflict. An
    /// error for `me` comes back as the structure; a failure that falls on
    /// the other transaction dooms it.
    fn flag(&mut self, me: TxnId, r: usize, w: usize, wrote: WriteKind) -> Result<(), Dangerous> {
        let (reader, writer) = (self.sxacts[r], self.sxacts[w]);
        let found = self.dangerous_on_flag(&reader, &writer, wrote);
        if let Some(d) = found {
            // The writer is `me`: it fails now. A committed writer cannot be
            // failed, so the reader (`me`) fails instead. Otherwise the writer is doomed.
            if writer.txn == me || writer.committed.is_some() {
                return Err(d);
            }
            self.sxacts[w].doomed = Some(d);
        }
        self.edges.push(Edge { reader: reader.txn, writer: writer.txn, wrote });
        Ok(())
    }

    /// The three structures `OnConflict_CheckForSerializationFailure` looks for.
    fn dangerous_on_flag(&self, reader: &Sxact, writer: &Sxact, wrote: WriteKind) -> Option<Dangerous> {
        let structure = |t_in: Actor, pivot: Actor, pivot_wrote, t_out: Actor, out_wrote| Dangerous {
            t_in,
            pivot,
            pivot_wrote,
            t_out,
            out_wrote,
        };
        // A committed writer that had a conflict out to an earlier committer.
        if let (Some(_), Some((_, out, out_wrote))) = (writer.committed, writer.conflict_out) {
            return Some(structure(reader.owner, writer.owner, wrote, out, out_wrote));
        }
        // The writer is a pivot with a conflict out to a transaction that committed first.
        for e in self.edges.iter().filter(|e| e.reader == writer.txn) {
            let Some(t2) = self.find(e.writer).map(|i| self.sxacts[i]) else { continue };
            let Some((t2_prepare, _)) = t2.committed else { continue };
            let before = |x: &Sxact| x.committed.is_none_or(|(_, c)| t2_prepare <= c);
            if before(reader) && before(writer) && (!reader.read_only || t2_prepare <= reader.snapshot_seq) {
                return Some(structure(reader.owner, writer.owner, wrote, t2.owner, e.wrote));
            }
        }
        // The reader is a pivot, and the writer committed.
        let (Some((w_prepare, _)), false) = (writer.committed, reader.read_only) else { return None };
        for e in self.edges.iter().filter(|e| e.writer == reader.txn) {
            let Some(t0) = self.find(e.reader).map(|i| self.sxacts[i]) else { continue };
            let late = t0.committed.is_none_or(|(_, c)| c >= w_prepare);
            if t0.doomed.is_none() && late && (!t0.read_only || t0.snapshot_seq >= w_prepare) {
                return Some(structure(t0.owner, reader.owner, e.wrote, writer.owner, wrote));
            }
        }
        None
    }

    /// A sequential scan by `me` starts: it takes the SIREAD lock on the table.
    /// Returns the transaction's doom when the scan will examine a tuple
    /// (`CheckForSerializableConflictOutNeeded` fails a doomed transaction
    /// at its first tuple).
    pub(super) fn scan_starts(&mut self, me: TxnId, tuples: bool) -> Result<(), Dangerous> {
        let Some(i) = self.find(me) else { return Ok(()) };
        self.sxacts[i].siread = true;
        match self.sxacts[i].doomed {
            Some(d) if tuples => Err(d),
            Some(_) | None => Ok(()),
        }
    }

    /// `CheckForSerializableConflictOut`: `me` read a version written (or
    /// replaced, `wrote`) by `xid` that its snapshot does not show;
    /// `concurrent`: `xid` had not committed when `me` took its snapshot.
    pub(super) fn conflict_out(
        &mut self,
        me: TxnId,
        xid: TxnId,
        concurrent: bool,
        wrote: WriteKind,
    ) -> Result<(), Dangerous> {
        let (Some(r), Some(w)) = (self.find(me), self.find(xid)) else { return Ok(()) };
        if xid == me || self.sxacts[w].doomed.is_some() || !concurrent || self.edge(me, xid).is_some() {
            return Ok(());
        }
        self.flag(me, r, w, wrote)
    }

    /// `CheckForSerializableConflictIn`: `me` is about to write the key.
    pub(super) fn conflict_in(&mut self, me: TxnId, wrote: WriteKind) -> Result<(), Dangerous> {
        let Some(w) = self.find(me) else { return Ok(()) };
        if let Some(d) = self.sxacts[w].doomed {
            return Err(d);
        }
        self.sxacts[w].wrote = true;
        for r in 0..self.sxacts.len() {
            let x = self.sxacts[r];
            let overlaps = x.committed.is_none() || self.committed_after_snapshot_of(r, w);
            if r != w && x.siread && x.doomed.is_none() && overlaps && self.edge(x.txn, me).is_none() {
                self.flag(me, r, w, wrote)?;
            }
        }
        Ok(())
    }

    /// `PreCommit_CheckForSerializationFailure`, then the commit's release
    /// of conflicts (`ReleasePredicateLocks`); the SIREAD lock stays while
    /// an overlapping transaction runs. An error is the COMMIT's 40001.
    pub(super) fn commit(&mut self, me: TxnId) -> Result<(), Dangerous> {
        let Some(i) = self.find(me) else { return Ok(()) };
        if let Some(d) = self.sxacts[i].doomed {
            return Err(d);
        }
        let mut doom: Vec<(usize, Dangerous)> = Vec::new();
        for near in self.edges.iter().filter(|e| e.writer == me) {
            let Some(p) = self.find(near.reader) else { continue };
            let pivot = self.sxacts[p];
            if pivot.committed.is_some() || pivot.doomed.is_some() {
                continue;
            }
            let far = self.edges.iter().filter(|e| e.writer == pivot.txn).find(|e| {
                e.reader == me
                    || self.find(e.reader).is_some_and(|k| {
                        let x = &self.sxacts[k];
                        x.committed.is_none() && !x.read_only && x.doomed.is_none()
                    })
            });
            if let Some(far) = far {
                let d = Dangerous {
                    t_in: self.owner(far.reader),
                    pivot: pivot.owner,
                    pivot_wrote: far.wrote,
                    t_out: self.sxacts[i].owner,
                    out_wrote: near.wrote,
                };
                doom.push((p, d));
            }
        }
        for (p, d) in doom {
            self.sxacts[p].doomed.get_or_insert(d);
        }
        self.seq += 2;
        let (prepare, commit) = (self.seq - 1, self.seq);
        let x = &mut self.sxacts[i];
        x.committed = Some((prepare, commit));
        x.read_only = !x.wrote;
        self.release_at_commit(i);
        self.prune();
        Ok(())
    }

    /// What `ReleasePredicateLocks` drops at a commit: conflicts out to
    /// committed transactions (summarised in the CONFLICT_OUT flag), and
    /// conflicts in from committed or read-only ones.
    fn release_at_commit(&mut self, i: usize) {
        let me = self.sxacts[i];
        let seq = self.seq;
        let mut flag = me.conflict_out;
        let sxacts = &self.sxacts;
        let find = |t: TxnId| sxacts.iter().find(|x| x.txn == t);
        self.edges.retain(|e| {
            if e.reader == me.txn {
                let Some(w) = find(e.writer) else { return false };
                if let (false, Some((prepare, _))) = (me.read_only, w.committed) {
                    if flag.is_none_or(|(earliest, _, _)| prepare < earliest) {
                        flag = Some((prepare, w.owner, e.wrote));
                    }
                }
                return !(w.committed.is_some() || w.snapshot_seq >= seq);
            }
            if e.writer == me.txn {
                return find(e.reader).is_some_and(|r| r.committed.is_none() && !r.read_only);
            }
            true
        });
        self.sxacts[i].conflict_out = flag;
    }

    /// A transaction rolled back: its SERIALIZABLEXACT, locks and conflicts go at once.
    pub(super) fn abort(&mut self, t: TxnId) {
        self.sxacts.retain(|x| x.txn != t);
        self.edges.retain(|e| e.reader != t && e.writer != t);
        self.prune();
    }

    /// Drops committed transactions no running one overlaps: every running
    /// transaction took its snapshot after they committed, and any later
    /// one will too, so nothing can conflict with them again
    /// (`ClearOldPredicateLocks`).
    fn prune(&mut self) {
        let running: Vec<u32> = self.sxacts.iter().filter(|x| x.committed.is_none()).map(|x| x.snapshot_seq).collect();
        let old = |x: &Sxact| x.committed.is_some_and(|(_, c)| running.iter().all(|&s| s >= c));
        let gone: Vec<TxnId> = self.sxacts.iter().filter(|x| old(x)).map(|x| x.txn).collect();
        if gone.is_empty() {
            return;
        }
        self.sxacts.retain(|x| !gone.contains(&x.txn));
        self.edges.retain(|e| !gone.contains(&e.reader) && !gone.contains(&e.writer));
    }

    /// The transactions the SSI state names, for the state key's renaming.
    pub(super) fn txns(&self) -> impl Iterator<Item = TxnId> + '_ {
        self.sxacts.iter().map(|x| x.txn)
    }

    /// The sequence numbers the SSI state holds, for ranking.
    pub(super) fn seqs(&self, out: &mut Vec<u32>) {
        out.push(self.seq);
        for x in &self.sxacts {
            out.push(x.snapshot_seq);
            if let Some((p, c)) = x.committed {
                out.extend([p, c]);
            }
            out.extend(x.conflict_out.map(|(s, _, _)| s));
        }
    }

    /// Feeds `h` the SSI state with transactions renamed by `txn` and sequence numbers by `rank`.
    pub(super) fn hash_future<H: std::hash::Hasher>(
        &self,
        txn: impl Fn(TxnId) -> usize,
        rank: impl Fn(u32) -> usize,
        h: &mut H,
    ) {
        use std::hash::Hash;
        let Ssi { sxacts, edges, seq, failure: _ } = self;
        (sxacts.len(), edges.len(), rank(*seq)).hash(h);
        for Sxact { txn: t, owner, snapshot_seq, siread, wrote, doomed, committed, read_only, conflict_out } in sxacts {
            (txn(*t), owner, rank(*snapshot_seq), siread, wrote, doomed, read_only).hash(h);
            committed.map(|(p, c)| (rank(p), rank(c))).hash(h);
            conflict_out.map(|(s, a, k)| (rank(s), a, k)).hash(h);
        }
        for Edge { reader, writer, wrote } in edges {
            (txn(*reader), txn(*writer), wrote).hash(h);
        }
    }
}

impl State {
    /// The statement fails with 40001 for the structure `why` (recorded by `finish_stmt`).
    pub(super) fn ssi_fails(&mut self, why: Dangerous) -> Exec {
        self.ssi.failure = Some(why);
        Exec::Done(StmtResult::Error { state: SqlState::SerializationFailure })
    }

    /// What SSI does before a statement runs: a SERIALIZABLE transaction
    /// with no index on key gets its record at its snapshot (its first
    /// statement), and a statement that reads the key is a sequential scan
    /// of the table. Returns the 40001 when the scan fails the transaction.
    pub(super) fn ssi_before(&mut self, s: &Scenario, a: Actor, stmt: Stmt, open: &OpenTxn, snap: u32) -> Option<Exec> {
        let known = self.ssi.txns().any(|t| t == open.no);
        if !known && open.isolation == Isolation::Serializable && !s.unique_index {
            debug_assert!(open.snapshot.is_some(), "the record comes with the snapshot");
            self.ssi.register(open.no, a);
        }
        let reads = matches!(
            stmt,
            Stmt::SelectKey { .. }
                | Stmt::SelectKeyNoWait { .. }
                | Stmt::SelectKeyForNoKeyUpdate { .. }
                | Stmt::UpdateDone
        );
        if !reads {
            return None;
        }
        let why = self.ssi_scan(a, open.no, snap).err()?;
        Some(self.ssi_fails_in(a, open, why))
    }

    /// An UPDATE about to write `idx`: heap_update checks the table's
    /// SIREAD locks before it writes; the 40001 when that fails it.
    pub(super) fn ssi_update(&mut self, a: Actor, open: &OpenTxn, idx: &[usize]) -> Option<Exec> {
        if idx.is_empty() {
            return None;
        }
        let why = self.ssi.conflict_in(open.no, WriteKind::Updated).err()?;
        Some(self.ssi_fails_in(a, open, why))
    }

    /// `ssi_fails` for a statement that stops before `exec`'s end: the
    /// transaction keeps the snapshot its first statement took.
    pub(super) fn ssi_fails_in(&mut self, a: Actor, open: &OpenTxn, why: Dangerous) -> Exec {
        if let Some(t) = self.actors[a].txn.as_mut() {
            t.snapshot = open.snapshot;
            t.read_key |= open.read_key;
        }
        self.ssi_fails(why)
    }

    /// COMMIT: a serializable transaction runs the SSI commit check first.
    pub(super) fn commit_check(&mut self, a: Actor) -> Exec {
        match self.actors[a].txn {
            Some(open) if open.explicit && !open.failed => match self.ssi.commit(open.no) {
                Ok(()) => Exec::Done(StmtResult::Ok),
                Err(why) => self.ssi_fails(why),
            },
            Some(_) | None => Exec::Done(StmtResult::Ok),
        }
    }

    /// The sequential scan of `WHERE key = $1` by `a`'s transaction `me`:
    /// the SIREAD lock on the table, then each tuple version on the heap, in
    /// order, as `HeapCheckForSerializableConflictOut` reads it: a version
    /// this snapshot cannot see conflicts out to its inserter, and a visible
    /// version that a transaction has deleted or replaced (an UPDATE)
    /// conflicts out to that transaction. A rolled-back version is dead and
    /// conflicts with nothing; the model has already removed it, and its
    /// absence can only matter to a doomed transaction's first-tuple check,
    /// which always finds the committed version written by whoever doomed it.
    pub(super) fn ssi_scan(&mut self, a: Actor, me: TxnId, snap: u32) -> Result<(), Dangerous> {
        if self.actors[a].scanned || !self.ssi.txns().any(|t| t == me) {
            return Ok(());
        }
        self.actors[a].scanned = true;
        self.ssi.scan_starts(me, !self.rows.is_empty())?;
        for i in 0..self.rows.len() {
            let r = self.rows[i];
            if r.xmin == me {
                continue;
            }
            let visible = self.visible(&r, me, snap);
            let (xid, wrote) = match r.xmax {
                _ if self.active(r.xmin) => (r.xmin, self.write_kind(r.xmin)),
                Some(x) if visible => (x, WriteKind::Updated),
                None if visible => continue,
                Some(_) | None => (r.xmin, self.write_kind(r.xmin)),
            };
            let concurrent = !self.committed_before(xid, snap);
            self.ssi.conflict_out(me, xid, concurrent, wrote)?;
        }
        Ok(())
    }

    /// How transaction `t` wrote the versions it created: an UPDATE replaced a version.
    fn write_kind(&self, t: TxnId) -> WriteKind {
        if self.rows.iter().any(|r| r.xmax == Some(t)) {
            WriteKind::Updated
        } else {
            WriteKind::Inserted
        }
    }
}
