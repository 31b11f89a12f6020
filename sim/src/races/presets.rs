//! One preset per scenario, in teaching order (the first, SELECT-then-INSERT,
//! is the schema's default and the landing setup), and the Sources rows.
//! Each lesson is checked against the engine by a test: a sentence on screen
//! must be true of the run it describes.

use crate::lab::{Preset, Source};

const fn preset(slug: &'static str, title: &'static str, lesson: &'static str, buggy: bool) -> Preset {
    Preset { slug, title, chip: title, lesson, buggy, key_counter: "double_charge_schedules", knobs: &[] }
}

/// Every preset; each sets only the scenario knob.
pub static PRESETS: [Preset; 8] = [
    Preset {
        knobs: &[("scenario", "select-then-insert")],
        ..preset(
            "select-then-insert",
            "1. SELECT then INSERT",
            "Each request SELECTs the key, charges, then INSERTs. At READ COMMITTED a statement sees only rows committed before it began, so the other request's row stays invisible until it commits: T2's SELECT finds nothing even after T1 has inserted. Both charge, and with no unique index both INSERTs succeed: two rows for one key.",
            true,
        )
    },
    Preset {
        knobs: &[("scenario", "unique-charge-first")],
        ..preset(
            "unique-charge-first",
            "2. Unique index, charge first",
            "The unique index stops the second row, but only after the second request has charged: its INSERT waits while the first transaction is open, then fails with 23505 when it commits. The card is charged twice and the second client gets a 500.",
            true,
        )
    },
    Preset {
        knobs: &[("scenario", "for-update")],
        ..preset(
            "for-update",
            "3. FOR UPDATE",
            "SELECT … FOR UPDATE locks only the rows it returns. On an absent key it returns nothing, locks nothing and blocks nobody, so both requests pass the check and both charge.",
            true,
        )
    },
    Preset {
        knobs: &[("scenario", "on-conflict")],
        ..preset(
            "on-conflict",
            "4. ON CONFLICT (the fix)",
            "INSERT … ON CONFLICT DO NOTHING RETURNING claims the key in one statement. The second INSERT waits while the first is uncommitted, then returns no row, so only the request that got a row back charges: one charge in every schedule. The loser SELECTs the row and answers 409, or the stored response once the winner has finished. What it does not handle: a crash between CHARGE and the UPDATE to done leaves the key started for ever, so every retry gets 409. Recovering such a key takes a lock that expires (Brandur Leach's locked_at with a timeout), which the Keys lab models.",
            false,
        )
    },
    Preset {
        knobs: &[("scenario", "serializable")],
        ..preset(
            "serializable",
            "5. SERIALIZABLE",
            "When both SELECTs run before either commits, PostgreSQL fails one transaction with 40001. The charge comes after COMMIT, so the failed transaction charged nothing; the handler retries it and the retry finds the key. PostgreSQL does not retry for you.",
            false,
        )
    },
    Preset {
        knobs: &[("scenario", "advisory-lock")],
        ..preset(
            "advisory-lock",
            "6. Advisory lock",
            "pg_advisory_xact_lock on the key makes the second request wait until the first transaction ends; its SELECT, a new statement, takes a new snapshot (at READ COMMITTED every statement does), so it sees the committed row and replays it. Safe, but the lock is held while the card is charged.",
            false,
        )
    },
    Preset {
        knobs: &[("scenario", "volatile-store")],
        ..preset(
            "volatile-store",
            "7. Volatile key store",
            "The server keeps keys in memory. If it crashes after the charge and before the client has its answer, the client retries, the restarted server has forgotten the key, and it charges again: a lost key is a double charge.",
            true,
        )
    },
    Preset {
        knobs: &[("scenario", "durable-store")],
        ..preset(
            "durable-store",
            "8. Durable key store",
            "The same handler with its keys on disk: a retry after the key was stored gets the stored answer. A crash between the charge and storing the key still charges twice, so durability is not enough when the key is written after the charge. Claim it first, as in scenario 4, and recover a claim a crash left behind, as the Keys lab's lock timeout does.",
            true,
        )
    },
];

/// The modelling choices of the Races lab and their sources.
pub static SOURCES: [Source; 10] = [
    Source {
        choice: "Each request runs in its own transaction at READ COMMITTED unless the scenario says otherwise: every statement sees the rows committed before it began, so another transaction's uncommitted row is invisible.",
        reference: "PostgreSQL 15 documentation, chapter 13 (Concurrency Control), 13.2.1 Read Committed Isolation Level.",
        simplification: Some("One table with one key; no other sessions touch it."),
    },
    Source {
        choice: "A second INSERT of a key held by a unique index waits while the first transaction is uncommitted, then fails with 23505 if it commits or goes ahead if it rolls back.",
        reference: "PostgreSQL 15 documentation, INSERT reference and chapter 13; every SQL schedule is replayed on PostgreSQL 15.18 by cli/tests/postgres_races.rs.",
        simplification: None,
    },
    Source {
        choice: "INSERT … ON CONFLICT DO NOTHING RETURNING returns only rows it inserted: after waiting for a conflicting insert that commits it returns no row; at SERIALIZABLE a conflicting row the snapshot cannot see fails with 40001.",
        reference: "PostgreSQL 15 documentation, INSERT reference (the ON CONFLICT clause).",
        simplification: None,
    },
    Source {
        choice: "SELECT … FOR UPDATE locks only the rows it returns; on an absent key it locks nothing.",
        reference: "PostgreSQL 15 documentation, chapter 13, 13.3.2 Row-Level Locks.",
        simplification: None,
    },
    Source {
        choice: "At SERIALIZABLE, SELECT-then-INSERT with both SELECTs first fails one transaction with 40001, and the handler retries it.",
        reference: "PostgreSQL 15 documentation, chapter 13, 13.2.3 Serializable Isolation Level; checked on PostgreSQL 15.18.",
        simplification: Some("Only the failures these handlers meet are modelled: SERIALIZABLE runs only on a table with a unique index, and commit-time failures from other read-write dependencies are left out."),
    },
    Source {
        choice: "pg_advisory_xact_lock blocks other holders of the same key until the transaction ends.",
        reference: "PostgreSQL 15 documentation, chapter 13, 13.3.5 Advisory Locks.",
        simplification: None,
    },
    Source {
        choice: "A FOR UPDATE, an UPDATE or an ON CONFLICT DO UPDATE that finds the row held by another transaction queues on the row's lock, first come first served, behind the waiter ahead of it; an INSERT whose unique check meets an uncommitted insert or an update in flight waits for that transaction alone, in no queue.",
        reference: "PostgreSQL 15 documentation, 13.3.2 Row-Level Locks; the server's heap_lock_tuple (a tuple lock, then a wait on the holder's transaction); who waits on whom checked with pg_blocking_pids on PostgreSQL 15.18 by cli/tests/postgres_races.rs.",
        simplification: Some("Where PostgreSQL itself decides by a race between waiters (two waiters going after a row its holder updated, two INSERTs waiting on a key that is rolled back, an ON CONFLICT DO UPDATE and another waiter going after the same row), the handler is refused, not modelled: 2 lanes avoid it."),
    },
    Source {
        choice: "FOR UPDATE NOWAIT fails at once with 55P03 where FOR UPDATE would wait; FOR UPDATE SKIP LOCKED returns no row there, the same answer as an absent key; pg_try_advisory_xact_lock returns false at once while another transaction holds the lock.",
        reference: "PostgreSQL 15 documentation, SELECT (The Locking Clause) and 9.27.10 Advisory Lock Functions; checked on PostgreSQL 15.18.",
        simplification: None,
    },
    Source {
        choice: "INSERT … ON CONFLICT DO UPDATE … RETURNING returns a row whether it inserted it or rewrote the one already there, so the handler cannot tell from it that the key is its own; it waits for a transaction that inserted, updated or locked that row, and at SERIALIZABLE a conflicting row its snapshot cannot see fails with 40001.",
        reference: "PostgreSQL 15 documentation, INSERT reference (the ON CONFLICT clause); checked on PostgreSQL 15.18.",
        simplification: Some("One form only: DO UPDATE SET status = idempotency_keys.status, which writes a new version of the row with the same values and holds the row's lock until the transaction ends (the table shows the replaced version locked by the update)."),
    },
    Source {
        choice: "A schedule says who takes the next step; a waiting transaction cannot step and goes on inside the step that released it. Scenarios 7 and 8 are an in-memory or on-disk key store, not SQL.",
        reference: "The lab's own step model. Scenarios 7 and 8: IETF httpapi draft \"The Idempotency-Key HTTP Header Field\" (a retry after the first request completed gets the stored result, so a store that forgets the key processes the retry as new).",
        simplification: Some("Time is counted in steps, not milliseconds; scenarios 7 and 8 are checked by the engine's tests only, not against a database."),
    },
];
