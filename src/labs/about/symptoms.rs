//! The incidents people arrive with, in their words, as data: each leads,
//! through at most two questions that tell its causes apart, to the lab
//! screen that reproduces it (a preset's permalink, opened by the page at the
//! step before it happens). Words in braces are glossary terms, explained
//! where they appear ([`TERMS`]).

/// What an answer leads to.
pub enum Next {
    /// The lab screen that reproduces it: `?area=<lab>&preset=<slug>`.
    Show(&'static str),
    /// Another question.
    Ask(&'static Triage),
}

/// One answer to a triage question.
pub struct Answer {
    /// The answer, in the learner's words.
    pub words: &'static str,
    /// Where it leads.
    pub next: Next,
}

/// A triage question.
pub struct Triage {
    /// The question (braces mark glossary terms).
    pub question: &'static str,
    /// Its answers.
    pub answers: &'static [Answer],
}

/// An incident, as people tell it.
pub struct Symptom {
    /// A stable id (`data-symptom`).
    pub id: &'static str,
    /// The incident, in their words.
    pub words: &'static str,
    /// Its one cause, or the question that tells its causes apart.
    pub next: Next,
}

const SAME_KEY: Triage = Triage {
    question: "What happened between the first attempt and the retry?",
    answers: &[
        Answer {
            words: "The server restarted, and it kept its keys in memory",
            next: Next::Show("?area=keys&preset=volatile-crash&step=10"),
        },
        Answer {
            words: "The retry came after the key had expired",
            next: Next::Show("?area=keys&preset=short-ttl&step=11"),
        },
        Answer {
            words: "The server crashed after the provider charged, before it wrote the charge down",
            next: Next::Show("?area=keys&preset=crash-window&step=11"),
        },
        Answer {
            words: "The provider's answer timed out, and the server called it again",
            next: Next::Show("?area=keys&preset=provider-timeout&step=11"),
        },
        Answer {
            words: "A retry took over the lock while the first attempt was still running",
            next: Next::Show("?area=keys&preset=lock-timeout&step=8"),
        },
    ],
};

const RETRY_KEY: Triage = Triage {
    question: "Did the retry carry an {Idempotency-Key}?",
    answers: &[
        Answer { words: "No: our requests send no key", next: Next::Show("?area=keys&preset=no-key&step=9") },
        Answer {
            words: "Yes, but a new one for every attempt",
            next: Next::Show("?area=keys&preset=fresh-key&step=11"),
        },
        Answer { words: "Yes, the same key as the first attempt", next: Next::Ask(&SAME_KEY) },
    ],
};

/// The incidents, most common first.
pub static SYMPTOMS: [Symptom; 9] = [
    Symptom { id: "retry-twice", words: "A retry charged a customer twice", next: Next::Ask(&RETRY_KEY) },
    Symptom {
        id: "concurrent-twice",
        words: "Two requests at once both charged",
        next: Next::Ask(&Triage {
            question: "How does the handler check the key before it charges?",
            answers: &[
                Answer {
                    words: "SELECT the key; if there is no row, charge, then INSERT it",
                    next: Next::Show("?area=races&preset=select-then-insert&step=4"),
                },
                Answer {
                    words: "A unique index on the key; the INSERT comes after the charge",
                    next: Next::Show("?area=races&preset=unique-charge-first&step=4"),
                },
                Answer {
                    words: "SELECT … FOR UPDATE, then charge",
                    next: Next::Show("?area=races&preset=for-update&step=4"),
                },
            ],
        }),
    },
    Symptom {
        id: "event-missing",
        words: "An event went missing",
        next: Next::Ask(&Triage {
            question: "Where could it have been dropped?",
            answers: &[
                Answer {
                    words: "The service commits to the database, then publishes to the broker",
                    next: Next::Show("?area=outbox&preset=lost&step=41"),
                },
                Answer {
                    words: "The consumer records the message as seen, then applies it, in two transactions",
                    next: Next::Show("?area=outbox&preset=mark-first&step=65"),
                },
            ],
        }),
    },
    Symptom {
        id: "event-twice",
        words: "An event arrived twice, and was applied twice",
        next: Next::Ask(&Triage {
            question: "What does the consumer do with a message it has already handled?",
            answers: &[
                Answer {
                    words: "Nothing checks: every delivery is applied",
                    next: Next::Show("?area=outbox&preset=duplicates&step=62"),
                },
                Answer {
                    words: "It applies the effect, then records the message id, in a separate transaction",
                    next: Next::Show("?area=outbox&preset=apply-first&step=65"),
                },
            ],
        }),
    },
    Symptom {
        id: "ghost-event",
        words: "An event went out for an order that was never saved",
        next: Next::Show("?area=outbox&preset=ghost&step=10"),
    },
    Symptom {
        id: "outage-again",
        words: "After an outage, the service fell over again",
        next: Next::Ask(&Triage {
            question: "How do the clients retry?",
            answers: &[
                Answer { words: "Exponential backoff, without jitter", next: Next::Show("?area=retries&preset=herd") },
                Answer {
                    words: "With jitter, and every request retries up to its attempt cap",
                    next: Next::Show("?area=retries&preset=cap"),
                },
                Answer {
                    words: "The server sent Retry-After, and the clients ignored it",
                    next: Next::Show("?area=retries&preset=ra-ignored"),
                },
            ],
        }),
    },
    Symptom {
        id: "silent-loss",
        words: "A payment never happened, yet the app said it succeeded",
        next: Next::Ask(&Triage {
            question: "Was the {Idempotency-Key} of that payment used for another one before?",
            answers: &[
                Answer {
                    words: "Yes, for a payment with a different amount or customer",
                    next: Next::Show("?area=keys&preset=reused-key&step=5"),
                },
                Answer {
                    words: "Yes, for an identical payment",
                    next: Next::Show("?area=keys&preset=same-payload&step=5"),
                },
            ],
        }),
    },
    Symptom {
        id: "conflict-409",
        words: "A retry got 409 Conflict",
        next: Next::Show("?area=keys&preset=slow-409&step=6"),
    },
    Symptom {
        id: "failed-for-good",
        words: "A failed payment fails again on every retry",
        next: Next::Show("?area=keys&preset=replay-5xx&step=10"),
    },
];

/// The glossary words the braces mark, each with a one-sentence tip.
pub const TERMS: [(&str, &str); 1] = [(
    "Idempotency-Key",
    "An HTTP request header carrying a unique value the client chooses per operation, so the server can recognise a retry of it (IETF draft-ietf-httpapi-idempotency-key-header).",
)];

/// Every screen an answer can lead to, with the answer that leads there (for tests).
#[cfg(test)]
pub fn shows() -> Vec<(&'static str, &'static str)> {
    fn walk(words: &'static str, next: &'static Next, out: &mut Vec<(&'static str, &'static str)>) {
        match next {
            Next::Show(link) => out.push((words, link)),
            Next::Ask(t) => t.answers.iter().for_each(|a| walk(a.words, &a.next, out)),
        }
    }
    let mut out = Vec::new();
    SYMPTOMS.iter().for_each(|s| walk(s.words, &s.next, &mut out));
    out
}
