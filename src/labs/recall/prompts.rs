//! The recall prompts, as data: the unit's six points, each with its
//! question, model answer, self-check list and the lab screen that proves it.

/// One recall prompt.
pub struct Prompt {
    /// Stable id, used in the DOM and in storage.
    pub id: &'static str,
    /// The question.
    pub question: &'static str,
    /// The model answer, written for this lab.
    pub answer: &'static str,
    /// Key points to check one's answer against.
    pub checklist: &'static [&'static str],
    /// The permalink (query string) of the lab screen that proves it.
    pub proof: &'static str,
    /// What that link shows.
    pub proof_label: &'static str,
}

/// The six prompts of the unit.
pub const PROMPTS: [Prompt; 6] = [
    Prompt {
        id: "effectively-once",
        question: "Why is exactly-once delivery an illusion, and how is effectively-once built instead?",
        answer: "A sender that hears nothing back cannot tell a lost request from a lost reply, so it must either give up (at-most-once: some effects never happen) or send again (at-least-once: some effects happen twice). No protocol removes that choice over a lossy network. Effectively-once accepts at-least-once delivery and makes the receiver deduplicate: it remembers an id per operation (an Idempotency-Key, a message id in an inbox table) in the same durable store and transaction as the effect, so a repeat is recognised and the effect is applied once.",
        checklist: &[
            "A lost reply looks the same as a lost request to the sender",
            "Retrying gives at-least-once, not exactly-once",
            "Dedup by an operation id at the receiver",
            "The dedup record is written atomically with the effect",
        ],
        proof: "?area=about&aloss=40",
        proof_label: "About: acknowledgement loss makes retries apply effects twice",
    },
    Prompt {
        id: "four-outcomes",
        question: "What are the outcomes a server resolves an Idempotency-Key into, with their status codes?",
        answer: "New key: claim it atomically, process the request and store the response. Key in progress (the first request has not finished): 409 Conflict, and the client may retry later. Key completed: replay the stored status and body, including a stored error, marked as a replay. Same key with a different payload: 422 Unprocessable Content, and the client must fix its request. A missing key where the endpoint requires one: 400 Bad Request.",
        checklist: &[
            "New: process and store the response",
            "In progress: 409, retry later",
            "Completed: replay the stored response",
            "Different payload: 422; missing key: 400",
        ],
        proof: "?area=keys&preset=correct",
        proof_label: "Keys: the correct setup, where charges equal intended operations",
    },
    Prompt {
        id: "fingerprint",
        question: "Why does the request fingerprint matter, and what fails silently without it?",
        answer: "The fingerprint is a hash of the method, path and canonical body stored with the key. Without it, a client that reuses a key for a different operation gets the first operation's stored response: the second operation never runs, yet the client reads success and believes it did. That is silent loss, and no error shows it. With the fingerprint the server sees the mismatch and answers 422, so the bug is loud.",
        checklist: &[
            "Hash of method, path and body, stored with the key",
            "Key reuse without it replays the wrong response",
            "The second operation is lost while the client believes it happened",
            "With it the server answers 422",
        ],
        proof: "?area=keys&preset=reused-key",
        proof_label: "Keys: a reused key without a fingerprint loses operations silently",
    },
    Prompt {
        id: "jitter-and-budgets",
        question: "Give the full-jitter formula. Why is jitter essential, and why is a per-request attempt cap not enough?",
        answer: "Full jitter sleeps random_between(0, min(cap, base × 2^n)) before retry n. Without jitter, clients that failed together retry together, in synchronised waves that hit a recovering server at once; jitter spreads them out, lowering the peak after recovery (where retries contend, as in the AWS study's workload, it also cuts the total work). A per-request cap bounds one request but not the fleet: during an outage every request retries up to its cap, so load multiplies (and with k retries at each of N layers, one call becomes (k+1)^N). A retry budget, such as retrying only while retries stay under about 10 % of requests, bounds the amplification; libraries keep one per client, so per-client floors add up over many quiet clients. Retry only what is retryable (408, 429, 500, 502, 503, 504, and a 409 that says the key is still in progress), retry a network error or a timeout only when the request is idempotent or carries an Idempotency-Key (RFC 9110 9.2.2), and honour Retry-After.",
        checklist: &[
            "sleep = random_between(0, min(cap, base × 2^n))",
            "Without jitter, retries arrive in synchronised waves",
            "A cap bounds one request, not the fleet's load",
            "A retry budget (about 10 %) bounds amplification",
            "Retry only what is retryable; honour Retry-After",
        ],
        proof: "?area=retries&preset=herd",
        proof_label: "Retries: synchronised retries without jitter after an outage",
    },
    Prompt {
        id: "outbox",
        question: "Why does write-the-database-then-publish fail, and how do outbox and inbox fix it?",
        answer: "The database write and the publish are two independent systems with no shared transaction. If the process dies between them the change is committed but the event is never sent; publishing first instead can send an event for a change that never commits. The transactional outbox writes the business row and an outbox row in one transaction; a relay publishes outbox rows and then marks them sent. The relay can die between publishing and marking, so delivery is at least once and duplicates are normal. The consumer therefore records each message id in an inbox table in the same transaction as its effect, and skips a message it has already processed: effectively once.",
        checklist: &[
            "Two writes with no shared transaction: lost or ghost events",
            "Business row and outbox row in one transaction",
            "The relay gives at-least-once: duplicates happen",
            "Inbox keyed by message id, written with the effect",
        ],
        proof: "?area=outbox&preset=lost",
        proof_label: "Outbox: write-then-publish loses events when the service crashes",
    },
    Prompt {
        id: "race",
        question: "Why is SELECT-then-INSERT unsafe under concurrency, and what does a production-grade key store look like?",
        answer: "Two requests with the same key can both SELECT before either INSERTs; both see no row, both charge, and with no unique constraint both insert. A unique index alone still lets both charge when the charge comes before the insert: the second insert then fails with 23505 after the money moved. SELECT … FOR UPDATE does not help because it locks no row when the key is absent. The fix is to claim the key first with one atomic statement, INSERT … ON CONFLICT DO NOTHING RETURNING, on a unique key: only the request that gets a row back proceeds; the other reads the existing row and answers 409 or replays the stored response. The store must be durable (a database table, not process memory), or a crash forgets keys and the retry charges again.",
        checklist: &[
            "Both SELECTs can see no row before either INSERT",
            "FOR UPDATE locks nothing when the key is absent",
            "Claim first: INSERT … ON CONFLICT DO NOTHING RETURNING on a unique key",
            "The loser answers 409 or replays the stored response",
            "The key store must be durable",
        ],
        proof: "?area=races&scenario=select-then-insert",
        proof_label: "Races: SELECT-then-INSERT charges twice",
    },
];
