//! The Retries lab's Sources panel: each modelling choice, the reference it
//! follows, and what it simplifies.

use crate::lab::Source;

/// Every row of the panel.
pub static SOURCES: [Source; 9] = [
    Source {
        choice: "Backoff formulas: exponential min(cap, base × 2^n); full jitter random_between(0, min(cap, base × 2^n)); equal jitter t/2 + random_between(0, t/2); decorrelated min(cap, random_between(base, 3 × previous)). n starts at 1 for the first backoff.",
        reference: "Marc Brooker, \"Exponential Backoff And Jitter\", AWS Architecture Blog, 2015",
        simplification: None,
    },
    Source {
        choice: "The study view reproduces the blog's contention workload: N clients each update one row under optimistic concurrency; hops |Normal(10 ms, 2 ms)|; base 5 ms, cap 2000 ms; calls count writes.",
        reference: "Marc Brooker, \"Exponential Backoff And Jitter\", AWS Architecture Blog, 2015",
        simplification: Some("20 runs per point by default (the blog used 100); the runs slider goes to 100."),
    },
    Source {
        choice: "The fleet: open-loop Poisson arrivals, one FIFO server of fixed capacity with a bounded queue that answers 503 when full, a front door that answers 503 during the outage, client timeouts after which the server's work is wasted.",
        reference: "The lab's own model, built to show the synchronised wave the blog describes",
        simplification: Some("A synchronised wave costs only what a queue costs: 503s when the queue is full, queueing latency, and work wasted on clients that timed out. The server never slows down under overload (no congestion collapse of its own capacity)."),
    },
    Source {
        choice: "Retry only network errors, timeouts, 5xx and 429; never another 4xx.",
        reference: "RFC 9110 section 15.6 and RFC 6585 (429); Google SRE book, \"Handling Overload\"",
        simplification: None,
    },
    Source {
        choice: "A per-request cap of attempts, and k retries at each of N layers making up to (k+1)^N calls.",
        reference: "Google SRE book, \"Addressing Cascading Failures\" (4^3 = 64)",
        simplification: Some("Layers retry at once, without backoff, and resolve their fan-out in one step."),
    },
    Source {
        choice: "The retry budget is a token bucket: each request deposits budget % of a token, each retry spends one, and a retry without a whole token is refused locally.",
        reference: "Finagle RetryBudget (percentCanRetry); Google SRE book (retries under 10 % of requests)",
        simplification: Some("No time-to-live on deposits and no minRetriesPerSec floor: tokens last until spent, and an empty budget refuses every retry."),
    },
    Source {
        choice: "Retry-After on an overload 503 is sent as delay-seconds; a client that honours it waits at least that long. The outage's 503 carries none: a front door cannot know when the server will be back.",
        reference: "RFC 9110 section 10.2.3 (Retry-After: an HTTP-date or delay-seconds)",
        simplification: Some("Only the delay-seconds form is modelled; an HTTP-date is the same wait measured against the server's clock."),
    },
    Source {
        choice: "Jitter's gift in a fleet is spreading the recovery wave (a lower peak after the outage, a shorter overload), not fewer calls: full jitter waits half as long on average, so during an outage it may retry more.",
        reference: "Marc Brooker, \"Exponential Backoff And Jitter\" (synchronised clients); this lab's compare view",
        simplification: None,
    },
    Source {
        choice: "Not modelled: gRPC retry throttling (maxTokens, tokenRatio), the SRE book's adaptive client throttling (K) and grpc-retry-pushback-ms.",
        reference: "gRPC A6 \"Client Retries\"; Google SRE book, \"Handling Overload\"",
        simplification: Some("Named here so their absence is visible; the budget above is the one fleet-wide throttle the lab runs."),
    },
];
