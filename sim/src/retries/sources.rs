//! The Retries lab's Sources panel: each modelling choice, the reference it
//! follows, and what it simplifies. Every row has an id, and `claims.rs`
//! keeps one native test per id that runs the engine and checks the row's
//! choice holds; a test there fails when a row has no claim test.

use crate::lab::Source;

/// A row of the panel with the id its claim test is registered under.
pub struct Row {
    /// The row's id, unique in the panel.
    pub id: &'static str,
    /// The row as the panel shows it.
    pub source: Source,
}

/// Every row of the panel, with its id.
pub static ROWS: [Row; 14] = [
    Row { id: "backoff-formulas", source: Source {
        choice: "Backoff formulas: exponential min(cap, base × 2^n); full jitter random_between(0, min(cap, base × 2^n)); equal jitter t/2 + random_between(0, t/2); decorrelated min(cap, random_between(base, 3 × previous)). n starts at 1 for the first backoff.",
        reference: "Marc Brooker, \"Exponential Backoff And Jitter\", AWS Architecture Blog, 2015",
        simplification: None,
    } },
    Row { id: "study-workload", source: Source {
        choice: "The study view reproduces the blog's contention workload: N clients each update one row under optimistic concurrency; hops |Normal(10 ms, 2 ms)|; base 5 ms, cap 2000 ms; calls count writes.",
        reference: "Marc Brooker, \"Exponential Backoff And Jitter\", AWS Architecture Blog, 2015",
        simplification: Some("20 runs per point by default (the blog used 100); the runs slider goes to 100."),
    } },
    Row { id: "study-ranking", source: Source {
        choice: "The blog ranks exponential backoff against the jittered strategies: of those, it does the most work and takes the longest. The chart also plots no backoff, which does more work than any of them but finishes first, as no client ever waits.",
        reference: "Marc Brooker, \"Exponential Backoff And Jitter\", AWS Architecture Blog, 2015; this lab's study view",
        simplification: None,
    } },
    Row { id: "fleet-model", source: Source {
        choice: "The fleet: open-loop Poisson arrivals, one FIFO server of fixed capacity with a bounded queue that answers 503 when full, a front door that answers 503 during the outage, client timeouts after which the server's work is wasted.",
        reference: "The lab's own model, built to show the synchronised wave the blog describes",
        simplification: Some("A synchronised wave costs only what a queue costs: 503s when the queue is full, queueing latency, and work wasted on clients that timed out. The server never slows down under overload (no congestion collapse of its own capacity)."),
    } },
    Row { id: "retry-table", source: Source {
        choice: "What a client retries is the retry table: 408, 429, 500, 502, 503 and 504, and 409 only as the Idempotency-Key draft's \"in progress\"; never 501, 505 or another 4xx. Network errors and timeouts only for a request that is idempotent or carries a key.",
        reference: "RFC 9110 sections 9.2.2, 15.5.9 (408) and 15.6; RFC 6585 section 4 (429); IETF draft \"The Idempotency-Key HTTP Header Field\" (409)",
        simplification: Some("The fleet's server answers 200, 400, 500 and 503 only; the lab's only 409 is the Keys lab's key in progress."),
    } },
    Row { id: "idempotency", source: Source {
        choice: "A 200 is the request's work done; a 500, 503 or 400 does none. When a client times out and retries a call the server did serve, a request without a key is done twice (counted as work done twice); with a key the server answers the repeat from it. A careful client without a key does not retry timeouts.",
        reference: "RFC 9110 section 9.2.2 (do not retry a non-idempotent request automatically unless it is known to be idempotent); IETF Idempotency-Key draft",
        simplification: Some("A repeat answered from its key costs the server a full call, as a first execution does."),
    } },
    Row { id: "layers", source: Source {
        choice: "k retries at each of N retrying layers make one client attempt up to (k+1)^N server calls, and the client's own attempts multiply on top. The SRE book's 4^3 = 64 counts the client as one of its three layers: here that is 4 attempts with 2 layers of 3 retries, or 1 attempt with 3 layers.",
        reference: "Google SRE book, chapter 22 \"Addressing Cascading Failures\" (4^3 = 64)",
        simplification: Some("Layers retry at once, without backoff, and resolve their fan-out in one step."),
    } },
    Row { id: "budget-per-client", source: Source {
        choice: "The retry budget is Finagle's RetryBudget, one per client: each request deposits, a retry withdraws 1 / percentCanRetry as much, and both count for ttl (ten slices of it). With a fixed percentage, a quieter client earns fewer retries, so the same fleet spread over more clients has more retries refused.",
        reference: "Finagle RetryBudget (ttl 10 s, minRetriesPerSec 10, percentCanRetry 20 % by default; one per client); Google SRE book (retries under 10 % of requests)",
        simplification: Some("\"Whose budget: shared\" keeps one budget for the whole fleet instead: a coordination no client library gives."),
    } },
    Row { id: "budget-floor", source: Source {
        choice: "The floor, minRetriesPerSec, is a reserve of minRetriesPerSec × ttl retries in every budget. Per client it adds up: 1,000 quiet clients with Finagle's floor of 10 may retry 10,000 times a second between them.",
        reference: "Finagle RetryBudget (minRetriesPerSec, a reserve scaled by ttl)",
        simplification: None,
    } },
    Row { id: "grpc-throttle", source: Source {
        choice: "gRPC retry throttling, per client: tokens start at maxTokens; a retryable failure costs 1, a success adds tokenRatio, both counted when the answer reaches the client; a retry is allowed only while tokens > maxTokens / 2.",
        reference: "gRPC proposal A6 \"gRPC Retry Design\" (retryThrottling: maxTokens, tokenRatio; example 10 and 0.1)",
        simplification: Some("gRPC keeps one count per server name in a channel; each client here talks to one server, so one count per client. grpc-retry-pushback-ms is not modelled."),
    } },
    Row { id: "adaptive-accepts", source: Source {
        choice: "Adaptive client throttling: an attempt is rejected locally with probability max(0, (requests − K × accepts) / (requests + 1)) over the last two minutes. An accept is an answer the backend gave and the client received, counted when it arrives: a call served after its client timed out is not one.",
        reference: "Google SRE book, chapter 21 \"Handling Overload\" (client-side throttling, K = 2)",
        simplification: Some("One two-minute history shared by the whole fleet, in one-second slots; the book keeps one per client."),
    } },
    Row { id: "local-refusals", source: Source {
        choice: "Attempts refused at the client are counted by who refused them: the retry budget and gRPC throttling refuse retries only; adaptive throttling rejects first tries too, counted apart from retries.",
        reference: "Finagle RetryBudget; gRPC proposal A6; Google SRE book, chapter 21 \"Handling Overload\"",
        simplification: None,
    } },
    Row { id: "retry-after", source: Source {
        choice: "Retry-After on an overload 503 is delay-seconds, a whole number of seconds, or with the switch an HTTP-date: the server writes now + delay rounded up to its whole second, and the client waits until that second begins. A client that honours it waits at least that long. The outage's 503 carries none: a front door cannot know when the server will be back.",
        reference: "RFC 9110 section 10.2.3 (Retry-After: an HTTP-date or delay-seconds, 1*DIGIT)",
        simplification: Some("Client and server clocks agree; with skew, a date would be read early or late. A server whose date formatter drops the fraction would name the second before, up to a second sooner."),
    } },
    Row { id: "jitter-in-a-fleet", source: Source {
        choice: "Jitter's gift in a fleet is spreading the recovery wave (a lower peak after the outage, a shorter overload), not fewer calls: full jitter waits half as long on average, so during an outage it may retry more.",
        reference: "Marc Brooker, \"Exponential Backoff And Jitter\" (synchronised clients); this lab's compare view",
        simplification: None,
    } },
];

/// The panel's rows, as the Sources panel reads them: [`ROWS`] without ids.
pub static SOURCES: [Source; ROWS.len()] = {
    let mut out = [Source { choice: "", reference: "", simplification: None }; ROWS.len()];
    let mut i = 0;
    while i < ROWS.len() {
        out[i] = ROWS[i].source;
        i += 1;
    }
    out
};
