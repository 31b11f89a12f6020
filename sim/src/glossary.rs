//! The one glossary: every domain word a page uses, with the forms it is
//! written in and one true sentence. The page's `Term` reads its tip here,
//! `idemlab glossary` prints it for the browser tests, and [`find`] is the
//! one rule for where a form occurs in a text (whole word, any case).

use crate::races::{sqlstate_tip, SqlState};

/// What a word means: a sentence of its own, or the SQLSTATE sentence the
/// Races lab already shows (one text, not two).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tip {
    /// A sentence written here.
    Text(&'static str),
    /// PostgreSQL's error code, explained by [`sqlstate_tip`].
    Sql(SqlState),
}

/// One glossary entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The word as the glossary lists it (also the `data-term` of its `Term`).
    pub word: &'static str,
    /// Other ways a page writes it (plurals, hyphenations); matched whole, any case.
    pub forms: &'static [&'static str],
    tip: Tip,
    /// Where the fact comes from, when it needs a source.
    pub source: &'static str,
}

impl Entry {
    /// The sentence that explains the word.
    pub fn tip(&self) -> &'static str {
        match self.tip {
            Tip::Text(t) => t,
            Tip::Sql(s) => sqlstate_tip(s),
        }
    }

    /// The word and its other forms.
    pub fn all_forms(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.word).chain(self.forms.iter().copied())
    }
}

const fn e(word: &'static str, forms: &'static [&'static str], tip: &'static str, source: &'static str) -> Entry {
    Entry { word, forms, tip: Tip::Text(tip), source }
}

const fn sql(word: &'static str, state: SqlState) -> Entry {
    Entry { word, forms: &[], tip: Tip::Sql(state), source: "PostgreSQL 15 documentation, Appendix A (error codes)" }
}

const DRAFT: &str = "IETF httpapi draft \"The Idempotency-Key HTTP Header Field\" (drafts 06-07)";
const BROOKER: &str = "Marc Brooker, \"Exponential Backoff And Jitter\", AWS Architecture Blog, 2015";
const BRANDUR: &str = "Brandur Leach, \"Implementing Stripe-like Idempotency Keys in Postgres\" (2017)";
const RFC9110: &str = "RFC 9110, section 15";
const PG13: &str = "PostgreSQL 15 documentation, chapter 13 (Concurrency Control)";
const DEBEZIUM: &str = "Debezium documentation, \"Outbox Event Router\"";

/// Every entry. A word of the domain that a page shows belongs here.
pub const GLOSSARY: &[Entry] = &[
    e("exactly-once", &["exactly once"], "Each message delivered one time, no more, no less. No protocol can promise it over a network that loses messages: a sender without an answer cannot tell a lost message from a lost acknowledgement.", ""),
    e("at-least-once", &["at least once"], "The sender sends again until an acknowledgement arrives: nothing is lost, but a message whose acknowledgement was lost arrives twice.", ""),
    e("at-most-once", &["at most once"], "The sender never sends again: nothing arrives twice, but a lost message stays lost.", ""),
    e("effectively-once", &["effectively once"], "At-least-once delivery plus deduplication: a message may arrive twice, but its effect happens once.", ""),
    e("deduplication", &["dedup", "deduplicates", "deduplicated", "deduplicate"], "Remembering what was already done (by key or message id) and skipping a repeat instead of doing it again.", ""),
    e("Idempotency-Key", &["Idempotency-Keys"], "A request header with a unique value (a UUID is recommended) that the client sends again on every retry of one operation, so the server can tell a retry from a new request.", DRAFT),
    e("fingerprint", &["fingerprints"], "A hash over method, path and canonical body, stored with the key. It tells a reused key from a retry only when the two bodies differ.", DRAFT),
    e("recovery point", &["recovery points", "recovery_point"], "How far a request under a key got, saved in the key's row: started, then charge_created. A retry that finds the key released resumes from there.", BRANDUR),
    e("charge_created", &[], "The recovery point saved after the provider charged. A crash before it is saved resumes from started, so the retry calls the provider again.", BRANDUR),
    e("400", &[], "400 Bad Request: the request is wrong as sent (here, it lacks an Idempotency-Key the server requires), so sending it again unchanged fails again.", DRAFT),
    e("409", &[], "409 Conflict: a request with this Idempotency-Key is still running. The client may send the same request again later.", DRAFT),
    e("422", &[], "422 Unprocessable Content: this Idempotency-Key was used before with a different request body. The client must fix the request, not retry it.", DRAFT),
    e("408", &[], "408 Request Timeout: the server stopped waiting for the request; the client may repeat it.", "RFC 9110, section 15.5.9"),
    e("429", &[], "429 Too Many Requests: the client sent too much too fast; the answer may say how long to wait with Retry-After.", "RFC 6585, section 4"),
    e("500", &["500s"], "500 Internal Server Error: the server failed for a reason of its own; the same request may succeed later.", RFC9110),
    e("502", &[], "502 Bad Gateway: a proxy got no valid answer from the server behind it; worth retrying.", RFC9110),
    e("503", &["503s"], "503 Service Unavailable: the server is overloaded or down for now, and may say with Retry-After when to come back.", RFC9110),
    e("504", &[], "504 Gateway Timeout: a proxy gave up waiting for the server behind it; worth retrying.", RFC9110),
    e("4xx", &[], "Any status from 400 to 499: the request itself is at fault, so it is not retried as is (408 and 429 are the exceptions).", RFC9110),
    e("5xx", &[], "Any status from 500 to 599: the server failed, not the request. Most are worth retrying; 501 and 505 say the server does not support the request.", RFC9110),
    e("Retry-After", &[], "A response header saying how long to wait before trying again: a number of whole seconds or an HTTP date. With a 503 it is the expected downtime.", "RFC 9110, section 10.2.3"),
    e("TTL", &[], "Time to live: how long something stored is kept. A retry after an idempotency key's TTL runs as new (Stripe keeps keys at least 24 hours); in Finagle's retry budget, how long a request counts.", "Stripe API docs, Idempotent requests; Finagle RetryBudget"),
    e("jitter", &["jittered"], "Randomness added to each backoff delay, so clients that failed together do not retry together.", BROOKER),
    e("full jitter", &["full-jitter"], "sleep = random_between(0, min(cap, base × 2^n)): anywhere from zero up to the exponential delay.", BROOKER),
    e("equal jitter", &[], "t = min(cap, base × 2^n); sleep = t/2 + random_between(0, t/2): never less than half the exponential delay.", BROOKER),
    e("decorrelated jitter", &[], "sleep = min(cap, random_between(base, 3 × previous sleep)), starting from base: each wait is drawn from the one before.", BROOKER),
    e("retry budget", &["retry budgets", "RetryBudget"], "A limit on retries across requests: a client retries only while its retries stay under a share of its recent requests (Finagle: 20 % over 10 s, plus a floor of 10 a second).", "Finagle RetryBudget; Google SRE book, chapter 22"),
    e("gRPC", &[], "An RPC framework. Its retry throttling gives each client tokens: a failure costs one, a success adds tokenRatio, and retries stop while tokens are at or below half of maxTokens.", "gRPC proposal A6, client retries"),
    e("adaptive throttling", &[], "The client rejects requests itself with probability max(0, (requests − K × accepts) / (requests + 1)), counting only the answers it saw as accepts.", "Google SRE book, chapter 21"),
    e("outbox", &["transactional outbox"], "A table the service writes its event into in the same transaction as its business row, so the event exists if and only if the change committed.", "Chris Richardson, microservices.io, \"Transactional outbox\""),
    e("relay", &["relays"], "The process that reads committed outbox rows and publishes them to the broker: by polling the table, or by tailing the database's log.", "microservices.io, \"Polling publisher\" and \"Transaction log tailing\""),
    e("log tailing", &["log-tailing"], "Reading the database's write-ahead log (PostgreSQL's WAL) as Debezium does: a commit is seen within milliseconds, and the relay keeps its place as an offset instead of marking rows.", "Debezium documentation, PostgreSQL connector"),
    e("WAL", &["write-ahead log"], "PostgreSQL's write-ahead log: every change is written there before the data files, in commit order, so a reader of the log sees each commit.", "PostgreSQL 15 documentation, chapter 30 (Reliability and the Write-Ahead Log)"),
    e("Debezium", &[], "An open-source change data capture tool: it tails a database's log and publishes each committed change, outbox rows included, to a broker such as Kafka.", DEBEZIUM),
    e("partition", &["partitions"], "An ordered queue inside a topic. The message key (here the customer, the outbox row's aggregateid) picks the partition, so order holds per customer, not across customers.", "Kafka documentation, Introduction"),
    e("aggregatetype", &[], "The outbox column Debezium's event router turns into the topic name: aggregatetype 'order' goes to topic outbox.event.order.", DEBEZIUM),
    e("inbox", &[], "The consumer's table of handled message ids, written in the same transaction as the effect: a duplicate finds its id there and is skipped.", "microservices.io, \"Idempotent consumer\""),
    e("READ COMMITTED", &[], "PostgreSQL's default isolation level: each statement sees the rows committed before it began, never another transaction's uncommitted rows.", PG13),
    e("REPEATABLE READ", &[], "An isolation level where the whole transaction sees one snapshot, taken at its first statement; changing a row that another transaction changed and committed after that snapshot fails with 40001.", PG13),
    e("SERIALIZABLE", &[], "The strictest isolation level: PostgreSQL aborts a transaction with 40001 when no serial order of the transactions explains what each read and wrote.", PG13),
    e("SQLSTATE", &[], "The five-character error code PostgreSQL sends with every error, such as 23505 for a unique violation.", "PostgreSQL 15 documentation, Appendix A"),
    sql("23505", SqlState::UniqueViolation),
    sql("40001", SqlState::SerializationFailure),
    sql("25P02", SqlState::InFailedTransaction),
    sql("40P01", SqlState::DeadlockDetected),
    sql("55P03", SqlState::LockNotAvailable),
    sql("42P10", SqlState::InvalidColumnReference),
    e("ON CONFLICT", &[], "INSERT … ON CONFLICT DO NOTHING: when the unique index already holds the key, insert nothing instead of failing; a second insert waits for the first to commit or roll back.", "PostgreSQL 15 documentation, INSERT"),
    e("FOR UPDATE", &[], "SELECT … FOR UPDATE locks the rows it returns until the transaction ends. On an absent key it returns nothing, so it locks nothing and blocks nobody.", "PostgreSQL 15 documentation, SELECT, The Locking Clause"),
    e("advisory lock", &["advisory locks"], "A lock on a number the application chooses (pg_advisory_xact_lock): a second taker of the same number waits until the first transaction ends.", "PostgreSQL 15 documentation, section 13.3.5"),
];

/// The entry `word` names, in any of its forms and any case.
pub fn lookup(word: &str) -> Option<&'static Entry> {
    GLOSSARY.iter().find(|e| e.all_forms().any(|f| f.eq_ignore_ascii_case(word.trim())))
}

/// Whether `c` continues a word: a form matches only where neither side does.
fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// The first occurrence of any glossary form in `text` at or after byte
/// `from`: (start, end, entry), the longest form winning at one start.
pub fn find(text: &str, from: usize) -> Option<(usize, usize, &'static Entry)> {
    let lower = text.to_ascii_lowercase();
    let mut starts = lower.char_indices().filter(|(i, _)| *i >= from).map(|(i, _)| i);
    starts.find_map(|i| {
        if lower[..i].chars().next_back().is_some_and(word_char) {
            return None;
        }
        let mut best: Option<(usize, &'static Entry)> = None;
        for entry in GLOSSARY {
            for form in entry.all_forms() {
                let end = i + form.len();
                let whole = lower.get(i..end).is_some_and(|s| s == form.to_ascii_lowercase())
                    && !lower[end..].chars().next().is_some_and(word_char);
                if whole && best.is_none_or(|(b, _)| end > b) {
                    best = Some((end, entry));
                }
            }
        }
        best.map(|(end, entry)| (i, end, entry))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_names_one_entry_only() {
        for entry in GLOSSARY {
            for form in entry.all_forms() {
                let owners: Vec<_> =
                    GLOSSARY.iter().filter(|e| e.all_forms().any(|f| f.eq_ignore_ascii_case(form))).collect();
                assert_eq!(owners.len(), 1, "{form} belongs to more than one entry");
                assert_eq!(lookup(form).map(|e| e.word), Some(entry.word));
            }
            assert!(!entry.tip().is_empty() && entry.tip().len() < 700, "{}'s tip is one sentence or two", entry.word);
        }
    }

    #[test]
    fn find_matches_whole_words_in_any_case_and_prefers_the_longest_form() {
        let text = "Retries: full-jitter backoff, then jitter; the relays and a 4090 or 409.";
        let (s, e, entry) = find(text, 0).expect("full-jitter is found");
        assert_eq!((&text[s..e], entry.word), ("full-jitter", "full jitter"));
        let (s, _, entry) = find(text, e).expect("jitter is found");
        assert_eq!((entry.word, s), ("jitter", text.find("jitter;").unwrap_or(0)));
        let rest: Vec<_> = std::iter::successors(find(text, 0), |m| find(text, m.1)).map(|m| m.2.word).collect();
        assert_eq!(rest, ["full jitter", "jitter", "relay", "409"], "4090 is no 409");
        assert_eq!(find("read committed rows", 0).map(|m| m.2.word), Some("READ COMMITTED"));
        assert_eq!(find("inboxes outboxing", 0), None);
    }
}
