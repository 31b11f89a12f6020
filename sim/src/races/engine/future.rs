//! What decides a state's future, for the explorer's visited set: two
//! schedules that reach states equal here have the same continuations and the
//! same outcomes, so the explorer explores the state once.
//!
//! Two schedules that run the same statements in another order number their
//! transactions and commits differently, and keep different finished
//! transactions in `txns`. The model reads a transaction id only to find
//! the transaction (`txns[t]`) or to compare it for equality, and a commit
//! sequence or snapshot (READ COMMITTED's per statement, REPEATABLE READ's
//! and SERIALIZABLE's per transaction) only to order them
//! (`committed_before`). So the encoding names transactions by their first
//! mention in the state, drops those nothing mentions, and replaces commit
//! sequences and snapshots by their rank among the values present.
//!
//! Two states equal here may still differ in what the learner would see of
//! them (who wrote a committed row, who raised an error): the explorer merges
//! them because every count and class it reports is the same either way, and
//! each example it gives is replayed by `run` in full.

use super::*;
use std::hash::{Hash, Hasher};

/// The transactions a state mentions, in order of first mention, and the
/// commit counters it holds, sorted. The explorer keeps one and lends it to
/// every state it encodes, so encoding allocates nothing.
#[derive(Default)]
pub(in crate::races) struct Names {
    txns: Vec<TxnId>,
    counters: Vec<u32>,
    /// The SSI sequence numbers the state holds, sorted (their own order, apart from commits).
    ssi_seqs: Vec<u32>,
}

impl Names {
    pub(super) fn txn(&self, t: TxnId) -> usize {
        self.txns.iter().position(|&x| x == t).unwrap_or(usize::MAX)
    }

    fn counter(&self, c: u32) -> usize {
        self.counters.binary_search(&c).unwrap_or(usize::MAX)
    }

    fn ssi_seq(&self, c: u32) -> usize {
        self.ssi_seqs.binary_search(&c).unwrap_or(usize::MAX)
    }

    fn mention(&mut self, t: TxnId) {
        if !self.txns.contains(&t) {
            self.txns.push(t);
        }
    }
}

impl State {
    fn names(&self, n: &mut Names) {
        n.txns.clear();
        n.counters.clear();
        n.counters.push(self.commits);
        for r in &self.rows {
            n.mention(r.xmin);
            r.xmax.into_iter().chain(r.locker).for_each(|t| n.mention(t));
        }
        self.locks.advisory_holder().into_iter().for_each(|t| n.mention(t));
        self.ssi.txns().for_each(|t| n.mention(t));
        n.ssi_seqs.clear();
        self.ssi.seqs(&mut n.ssi_seqs);
        n.ssi_seqs.sort_unstable();
        n.ssi_seqs.dedup();
        for (_, x) in self.actors.iter() {
            if let Some(o) = x.txn {
                n.mention(o.no);
                n.counters.extend(o.snapshot);
            }
            n.counters.extend(x.stmt_snapshot);
        }
        for (_, e) in self.locks.entries() {
            if let Wait::Txn(t, _) = e.wait {
                n.mention(t);
            }
        }
        for &t in &n.txns {
            if let TxnStatus::Committed(seq) = self.txns[t].status {
                n.counters.push(seq);
            }
        }
        n.counters.sort_unstable();
        n.counters.dedup();
    }

    /// Feeds `h` every field that can change what happens next or how the run
    /// ends, renamed as the module says, and nothing that is only history: the
    /// step count (the explorer checks the step limit itself) and the trace.
    /// The lock table keys its waits the same way (see `LockTable::hash_future`).
    /// A row's savepoint depths are kept, as a ROLLBACK TO reads them; the
    /// depth it was replaced or locked at only while it is (a depth left
    /// behind by a rollback is written again before it is read). The last
    /// statement's result is left out while the actor's next step is a
    /// statement, as it is overwritten before it is read again; of a finished
    /// actor, only its answer is kept. The patterns are exhaustive on
    /// purpose: a new field does not compile until it is placed here.
    pub(in crate::races) fn hash_future<H: Hasher>(&self, s: &Scenario, n: &mut Names, h: &mut H) {
        let State { rows, txns, commits, locks, map, actors, charges, errors, ssi, step: _, trace: _, record_trace: _ } =
            self;
        self.names(n);
        let n = &*n;
        rows.len().hash(h);
        for Row { status, response, xmin, xmax, locker, sub, xmax_sub, locker_sub } in rows {
            (status, response, n.txn(*xmin), sub).hash(h);
            xmax.map(|t| (n.txn(t), xmax_sub)).hash(h);
            locker.map(|t| (n.txn(t), locker_sub)).hash(h);
        }
        n.txns.len().hash(h);
        for &t in &n.txns {
            // Whose a transaction was matters only while it runs (who waits
            // on whom); an ended one is seen only through its rows.
            let Txn { owner, status } = txns[t];
            match status {
                TxnStatus::Active => (0usize, owner).hash(h),
                TxnStatus::Aborted => 1usize.hash(h),
                TxnStatus::Committed(seq) => (2 + n.counter(seq)).hash(h),
            }
        }
        (n.counter(*commits), map, charges).hash(h);
        locks.hash_future(n, h);
        // SIREAD locks, rw-conflicts, doomed transactions and the SSI commit
        // order decide later 40001s: two states that differ only here differ.
        ssi.hash_future(|t| n.txn(t), |c| n.ssi_seq(c), h);
        // Errors are only ever appended and then read by the outcome, whose
        // class names their codes in order, not who raised them.
        errors.len().hash(h);
        errors.iter().for_each(|(_, code)| code.hash(h));
        actors.len().hash(h);
        for (a, x) in actors.iter() {
            let ActorState { pc, txn, last, last_row, map_hit, stmt_snapshot, response, attempts, stepped, scanned } =
                x;
            // A finished request is only its answer: nothing reads the rest again.
            response.hash(h);
            if response.is_some() {
                continue;
            }
            // `last` is read only by IF lines, which run right after a step;
            // an actor about to run a statement overwrites it first (BEGIN and
            // SET TRANSACTION, which do not, are never where an actor rests).
            let prog = &s.programs[ActorId(a).index()];
            let at_sql = matches!(prog.instrs.get(*pc as usize), Some(Instr::Sql { .. }));
            let last = if at_sql { &None } else { last };
            (pc, last, last_row, map_hit, stmt_snapshot.map(|c| n.counter(c)), attempts, stepped, scanned).hash(h);
            txn.is_some().hash(h);
            if let Some(OpenTxn { no, isolation, explicit, snapshot, failed, read_key, savepoints, depth }) = txn {
                (n.txn(*no), isolation, explicit, snapshot.map(|c| n.counter(c)), failed, read_key).hash(h);
                // Only the open savepoints are read (by name, innermost first);
                // the slots past `depth` are written before they are read.
                savepoints.get(..*depth as usize).unwrap_or(savepoints).hash(h);
            }
        }
    }
}
