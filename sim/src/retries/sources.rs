//! The Retries lab's Sources panel: each modelling choice, the reference it
//! follows, and what it simplifies.

use crate::lab::Source;

/// Every row of the panel.
pub static SOURCES: [Source; 10] = [
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
        choice: "The retry budget is a token bucket: each request deposits budget % of a token, each retry spends one, and a retry without a whole token is refused locally. Its floor, minRetriesPerSec, lets tokens flow in at that rate besides the deposits.",
        reference: "Finagle RetryBudget (percentCanRetry, minRetriesPerSec; defaults 20 % and 10 per second, ttl 10 s); Google SRE book (retries under 10 % of requests)",
        simplification: Some("Deposits have no time-to-live: tokens last until spent or until the bucket is full. The floor refills the same bucket rather than a separate reserve."),
    },
    Source {
        choice: "gRPC retry throttling, per client: tokens start at maxTokens; a retryable failure costs 1, a success adds tokenRatio, and a retry is allowed only while tokens > maxTokens / 2.",
        reference: "gRPC proposal A6 \"gRPC Retry Design\" (retryThrottling: maxTokens, tokenRatio; example 10 and 0.1)",
        simplification: Some("gRPC keeps one count per server name in a channel; each client here talks to one server, so one count per client. grpc-retry-pushback-ms is not modelled."),
    },
    Source {
        choice: "Adaptive client throttling: an attempt is rejected locally with probability max(0, (requests − K × accepts) / (requests + 1)) over the last two minutes; an accept is an attempt the server served, whatever its status.",
        reference: "Google SRE book, chapter 21 \"Handling Overload\" (client-side throttling, K = 2)",
        simplification: Some("One two-minute history shared by the whole fleet, in one-second slots; the book keeps one per client. A call served after its client timed out counts as accepted, as the server did accept it."),
    },
    Source {
        choice: "Retry-After on an overload 503 is delay-seconds or, with the switch, an HTTP-date: the date names a whole second of the server's clock, so a client waits until that second begins. A client that honours it waits at least that long. The outage's 503 carries none: a front door cannot know when the server will be back.",
        reference: "RFC 9110 section 10.2.3 (Retry-After: an HTTP-date or delay-seconds)",
        simplification: Some("Client and server clocks agree; with skew, a date would be read early or late."),
    },
    Source {
        choice: "Jitter's gift in a fleet is spreading the recovery wave (a lower peak after the outage, a shorter overload), not fewer calls: full jitter waits half as long on average, so during an outage it may retry more.",
        reference: "Marc Brooker, \"Exponential Backoff And Jitter\" (synchronised clients); this lab's compare view",
        simplification: None,
    },
];
