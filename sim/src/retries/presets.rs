//! One preset per teaching point, as knob overrides over the schema's
//! defaults (`params.rs`). The first is the schema's defaults: the landing
//! setup. Presets that compare strategies come in pairs that differ only in
//! the strategy (checked by a test), so the difference on screen is the
//! strategy's.

use crate::lab::Preset;

/// The knobs of the "wave that overflows the queue" pair, without the strategy.
const SMALL_QUEUE: [(&str, &str); 6] =
    [("att", "4"), ("base", "250"), ("cap", "8000"), ("qmax", "200"), ("rate", "900"), ("rams", "0")];

/// The knobs of the cap and budget pair, without the budget.
const CAP: [(&str, &str); 6] =
    [("att", "3"), ("qmax", "3000"), ("to", "500"), ("base", "500"), ("cap", "4000"), ("rams", "0")];

/// The knobs of the Retry-After pair, without the switch.
const SHORT: [(&str, &str); 9] = [
    ("rate", "1200"),
    ("capy", "1000"),
    ("qmax", "200"),
    ("rams", "2000"),
    ("att", "5"),
    ("base", "50"),
    ("cap", "1000"),
    ("of", "0"),
    ("ot", "0"),
];

macro_rules! with {
    ($base:expr, $($extra:expr),+) => {{
        const N: usize = $base.len() + [$($extra),+].len();
        const OUT: [(&str, &str); N] = {
            let mut out = [("", ""); N];
            let mut i = 0;
            while i < $base.len() {
                out[i] = $base[i];
                i += 1;
            }
            let extra = [$($extra),+];
            let mut j = 0;
            while j < extra.len() {
                out[i + j] = extra[j];
                j += 1;
            }
            out
        };
        &OUT
    }};
}

/// Every preset, in the order the lab shows them; the first is the landing setup.
pub static PRESETS: [Preset; 12] = [
    Preset {
        slug: "outage",
        title: "A short outage, full jitter",
        chip: "Short outage, jitter",
        lesson: "The server is down from 20 s to 25 s (shaded). Requests that arrive then are turned away with 503 and back off; many run out of their 3 attempts before the outage ends, so a few percent of requests fail whatever the strategy. Most retries happen inside the outage and are turned away again; what reaches the server once it is back are the retries of requests turned away in the outage's last moments, and full jitter spreads those out: compare the starred peak just after the outage with the next preset's.",
        buggy: false,
        key_counter: "peak_after_outage",
        knobs: &[],
    },
    Preset {
        slug: "herd",
        title: "Synchronised retries (no jitter)",
        chip: "Synchronised retries",
        lesson: "The same fleet, outage and seed; only the strategy changed, to exponential backoff without jitter. Requests turned away together come back together, 0.2 s and then 0.4 s later: the peak offered load after the outage is higher than full jitter's, the queue fills and latency climbs. Jitter does not make fewer calls here; it spreads the same calls out.",
        buggy: true,
        key_counter: "peak_after_outage",
        knobs: &[("s", "exponential")],
    },
    Preset {
        slug: "wave",
        title: "A wave that overflows the queue (no jitter)",
        chip: "Wave, no jitter",
        lesson: "A smaller queue (200 places) and 4 attempts. Without jitter the wave after the outage overflows the queue; the 503s it gets back are retried in the next wave, so the overload outlasts the outage. Starred: how long after the outage the server still turns calls away. The next preset changes only the strategy.",
        buggy: true,
        key_counter: "overload_after_outage",
        knobs: with!(SMALL_QUEUE, ("s", "exponential")),
    },
    Preset {
        slug: "wave-jitter",
        title: "The same wave, full jitter",
        chip: "Wave, full jitter",
        lesson: "Everything as in the previous preset but the strategy: full jitter spreads the retries, the queue overflows for a shorter time after the outage and fewer calls are turned away then.",
        buggy: false,
        key_counter: "overload_after_outage",
        knobs: with!(SMALL_QUEUE, ("s", "full")),
    },
    Preset {
        slug: "cap",
        title: "A per-request cap that still overloads",
        chip: "Per-request cap",
        lesson: "Three attempts per request bounds one request, not the fleet. The retries of the outage arrive together on recovery and the queue grows past a timeout's worth of work (3,000 places, 500 ms timeout): the server now serves requests whose clients already gave up, they retry, and the overload feeds itself until the end, although the outage lasted 5 s.",
        buggy: true,
        key_counter: "amplification",
        knobs: &CAP,
    },
    Preset {
        slug: "budget",
        title: "A retry budget per client that holds it",
        chip: "Budget per client",
        lesson: "The same fleet with Finagle's retry budget on every client, at 10 % and no floor: a client may retry one request in ten of its own from the last 10 s. These 1,000 clients each send under one request a second, so few have earned a retry when the outage comes: most retries are refused at the client (counted below) instead of piling up for the recovery, and the fleet recovers at once. It holds by refusing nearly every retry, those of quiet clients included.",
        buggy: false,
        key_counter: "budget_refusals",
        knobs: with!(CAP, ("bud", "10"), ("minr", "0")),
    },
    Preset {
        slug: "quiet-herd",
        title: "Many quiet clients' budget floors add up",
        chip: "Budget floors add up",
        lesson: "The same fleet with Finagle's default budget on every client: 20 % of its requests plus a floor of 10 retries a second over a 10 s window. The floor is per client, so 1,000 quiet clients may retry 10,000 times a second between them, ten times the server's capacity: the budget refuses almost nothing and the overload feeds itself as without a budget. Set \"Whose budget\" to shared and the one floor holds it, but a fleet-wide budget is a coordination no client library gives you.",
        buggy: true,
        key_counter: "amplification",
        knobs: with!(CAP, ("bud", "20"), ("minr", "10"), ("ttl", "10")),
    },
    Preset {
        slug: "grpc-throttle",
        title: "gRPC retry throttling holds it",
        chip: "gRPC throttling",
        lesson: "The cap preset's fleet with gRPC's retry throttling (maxTokens 10, tokenRatio 0.1): each client loses a token per failure and regains a tenth per success, and stops retrying while it holds 5 tokens or fewer. The outage drains every client's tokens, so the recovery wave is mostly first tries and the overload does not start.",
        buggy: false,
        key_counter: "budget_refusals",
        knobs: with!(CAP, ("gmax", "10"), ("gratio", "100")),
    },
    Preset {
        slug: "adaptive",
        title: "Adaptive throttling: a timeout is not an accept",
        chip: "Adaptive throttling",
        lesson: "The cap preset's fleet with the SRE book's adaptive client throttling (K = 2): a client rejects an attempt locally, with a probability that grows as its requests exceed twice the answers it received. A 503 is no accept, and neither is a timeout: a call the deep queue serves after its client stopped waiting never reached the client. So while the queue is longer than the timeout the throttle sees almost no accepts and rejects many attempts at the client, first tries more than retries (counted apart below). The overload ends before the run does, but many requests fail.",
        buggy: false,
        key_counter: "overload_after_outage",
        knobs: with!(CAP, ("k", "20")),
    },
    Preset {
        slug: "no-key",
        title: "Timeouts retried without a key",
        chip: "Timeouts, no key",
        lesson: "The cap preset's overload, with requests that are not idempotent, carry no Idempotency-Key, and whose clients retry timeouts anyway. The deep queue serves many calls after their clients stopped waiting, and each retry of such a call does its work again (a second charge, a second order): counted below. With a key the same repeats are answered from it. A careful client without a key (RFC 9110 9.2.2) does not retry a timeout: nothing is done twice, and fewer retries feed the queue.",
        buggy: true,
        key_counter: "duplicates",
        knobs: with!(CAP, ("req", "no-key")),
    },
    Preset {
        slug: "ra-ignored",
        title: "Retry-After ignored",
        chip: "Retry-After ignored",
        lesson: "The server is short of capacity and answers 503 with Retry-After: 2 s. These clients ignore it and retry after their short backoff, into the same full queue.",
        buggy: true,
        key_counter: "retries",
        knobs: with!(SHORT, ("ra", "0")),
    },
    Preset {
        slug: "ra-honoured",
        title: "Retry-After honoured",
        chip: "Retry-After honoured",
        lesson: "The same overload, but every client waits at least the server's Retry-After before it retries: compare the retries that reach the full queue with the previous preset's.",
        buggy: false,
        key_counter: "retries",
        knobs: with!(SHORT, ("ra", "1")),
    },
];
