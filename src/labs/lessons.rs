//! Guided lessons: one per recall prompt. A lesson is 3 to 6 stops, each a
//! permalinked screen (`?area=recall&lesson=<id>&stop=<n>`) that shows one
//! lab screen's picture, asks one question through the shared predict-first
//! component, reveals the answer and offers "next". Progress (the choice
//! made at each stop) is kept in localStorage. A whole lesson embeds with
//! `embed=1`: the stops move inside the frame.

use crate::components::LinkWarnings;
use crate::query::{Area, Query};
use crate::shell::{LabProps, PageMode, Predict, View};
use crate::web;
use std::collections::BTreeMap;
use yew::prelude::*;

/// One stop of a lesson.
pub struct Stop {
    /// The lab screen it shows (a permalink's query string).
    pub link: &'static str,
    /// What to look at, in a few words.
    pub title: &'static str,
    /// The one question.
    pub question: &'static str,
    /// The choices.
    pub choices: &'static [&'static str],
    /// Which choice is right.
    pub answer: usize,
    /// Why, with the screen's evidence.
    pub explain: &'static str,
}

/// A guided lesson, named after the recall prompt it teaches.
pub struct Lesson {
    /// The recall prompt's id.
    pub id: &'static str,
    /// The lesson's title.
    pub title: &'static str,
    /// Its stops, in order (3 to 6).
    pub stops: &'static [Stop],
}

/// One lesson per recall prompt, in the prompts' order.
pub const LESSONS: [Lesson; 6] = [
    Lesson {
        id: "effectively-once",
        title: "Exactly-once is an illusion; effectively-once is built",
        stops: &[
            Stop {
                link: "?area=about&aloss=40",
                title: "Acknowledgements get lost",
                question: "Four in ten acknowledgements are lost and the sender retries. Without deduplication, what happens to some effects?",
                choices: &["They never happen", "They happen twice", "Nothing: a retry is harmless"],
                answer: 1,
                explain: "A lost acknowledgement looks exactly like a lost request to the sender, so it sends again and the receiver applies the effect again. Retrying gives at-least-once delivery, not exactly-once.",
            },
            Stop {
                link: "?area=keys&preset=no-key&step=999",
                title: "A payment without a key",
                question: "The provider's response is lost and the client retries without an Idempotency-Key. What does the provider do?",
                choices: &["Charges again", "Replays the first response", "Answers 409 Conflict"],
                answer: 0,
                explain: "Without a key the server cannot tell a retry from a new request, so the retry is a second charge: see \"charged AGAIN\" in what the provider charged.",
            },
            Stop {
                link: "?area=keys&preset=correct",
                title: "The same faults, with a key",
                question: "One key per operation, kept across retries, in a durable store. How do the provider's charges compare with the intended operations?",
                choices: &["More charges than operations", "Equal", "Fewer charges than operations"],
                answer: 1,
                explain: "The server remembers the key with the charge, so every retry is recognised and replayed: the same losses, crashes and timeouts, yet charges equal intended operations. At-least-once delivery plus deduplication is effectively once.",
            },
        ],
    },
    Lesson {
        id: "four-outcomes",
        title: "The outcomes of an Idempotency-Key",
        stops: &[
            Stop {
                link: "?area=keys&preset=slow-409",
                title: "A retry while the first attempt runs",
                question: "The client gives up waiting and retries while the first attempt is still running. What does the server answer the retry?",
                choices: &["201, after charging again", "409 Conflict: the key is in progress", "422: a different request"],
                answer: 1,
                explain: "The key is claimed but not completed, so the server answers 409 until the first attempt finishes; the client retries later and gets the stored response. Slow, but charged once.",
            },
            Stop {
                link: "?area=keys&preset=correct&step=999",
                title: "A retry after completion",
                question: "A retry arrives after the first attempt completed. What does it get?",
                choices: &["A second charge", "The stored status and body, marked as a replay", "400 Bad Request"],
                answer: 1,
                explain: "A completed key replays its stored status and body (Stripe marks it Idempotent-Replayed: true), so the client learns the outcome without a second charge.",
            },
            Stop {
                link: "?area=keys&preset=replay-5xx",
                title: "A stored 500",
                question: "The server stored a 500 for this key, as Stripe does. What does every later retry with the same key get?",
                choices: &["The stored 500, replayed", "A fresh attempt that may succeed", "409 Conflict"],
                answer: 0,
                explain: "A stored error is a stored response like any other: nothing runs twice, but the operation fails for good until the client uses a new key.",
            },
            Stop {
                link: "?area=keys&preset=reused-key",
                title: "Same key, different body",
                question: "With the fingerprint on (the checkbox under the picture), the client reuses a key for a different charge. What does the server answer?",
                choices: &["The first charge's stored response", "422: the request differs from the one the key was used for", "409 Conflict"],
                answer: 1,
                explain: "The fingerprint (a hash of method, path and canonical body) differs, so the server refuses with 422 instead of replaying the wrong response. A missing key where one is required gets 400.",
            },
        ],
    },
    Lesson {
        id: "fingerprint",
        title: "What the fingerprint catches",
        stops: &[
            Stop {
                link: "?area=keys&preset=reused-key&step=999",
                title: "A key reused for another charge",
                question: "No fingerprint: the client reuses one key for a second, different charge. What does the client believe afterwards?",
                choices: &["That the second charge failed", "That the second charge happened, though it never ran", "Nothing: it gets an error"],
                answer: 1,
                explain: "The server replays the first charge's stored response, so the client reads success for an operation that never ran: see \"op 1's stored response\" in what the client believes.",
            },
            Stop {
                link: "?area=keys&preset=reused-key",
                title: "Where the loss shows",
                question: "Which counter in the evidence shows this loss?",
                choices: &["Double charges", "Silently lost operations", "Failed, and the client knows"],
                answer: 1,
                explain: "Nothing fails and nothing is charged twice: the operation is silently lost, which is why no error and no alert would show it. Tick the fingerprint and the same runs answer 422 instead.",
            },
            Stop {
                link: "?area=keys&preset=fresh-key",
                title: "A fresh key per attempt",
                question: "The client makes a new key for every attempt instead of one per operation. Is that safe?",
                choices: &["Yes: every request has a key", "No: each retry is a new key, so it runs as new and charges again"],
                answer: 1,
                explain: "The key names the operation, not the attempt. A key per attempt is no key at all: a retry after a lost response charges again.",
            },
        ],
    },
    Lesson {
        id: "jitter-and-budgets",
        title: "Jitter and retry budgets",
        stops: &[
            Stop {
                link: "?area=retries&preset=herd",
                title: "Retries without jitter",
                question: "Many clients fail at the same moment and retry with plain exponential backoff, no jitter. When do their retries reach the server?",
                choices: &["Spread evenly over time", "Together, in synchronised waves"],
                answer: 1,
                explain: "Clients that failed together compute the same delays, so they come back together: each wave hits the recovering server at once.",
            },
            Stop {
                link: "?area=retries&preset=outage",
                title: "Full jitter",
                question: "Full jitter sleeps random_between(0, min(cap, base × 2^n)) before retry n. On average, how long is that compared with plain exponential backoff's min(cap, base × 2^n)?",
                choices: &["About half as long", "The same", "About twice as long"],
                answer: 0,
                explain: "A uniform draw between 0 and the backoff averages half of it. Full jitter's gift is spreading the retries of a fleet apart, not waiting longer.",
            },
            Stop {
                link: "?area=retries&preset=budget",
                title: "A retry budget per client",
                question: "During a long outage, what bounds the fleet's total retry load?",
                choices: &["A per-request attempt cap", "A retry budget: retry only while retries stay under about 10 % of requests"],
                answer: 1,
                explain: "A cap bounds one request, but every request retries up to it, so the load still multiplies. A budget bounds the retries across all of a client's requests. Libraries keep one per client, so the fleet's bound is the sum of theirs: with a floor of retries per second in each, many quiet clients add up.",
            },
        ],
    },
    Lesson {
        id: "outbox",
        title: "Dual writes, outbox and inbox",
        stops: &[
            Stop {
                link: "?area=outbox&preset=lost",
                title: "Write, then publish",
                question: "The service commits its database write, then publishes the event, and crashes in between. What happens to the event?",
                choices: &["It is lost: the change committed but nothing was sent", "It is sent twice", "The write is rolled back"],
                answer: 0,
                explain: "The database and the broker share no transaction, so a crash between the two writes leaves a committed change with no event.",
            },
            Stop {
                link: "?area=outbox&preset=duplicates",
                title: "The relay crashes after publishing",
                question: "The relay publishes an outbox row, then crashes before marking it sent. What happens after it restarts?",
                choices: &["It publishes the row again: a duplicate", "The event is lost", "The broker notices and drops it"],
                answer: 0,
                explain: "The row is still unsent, so the relay publishes it again. An outbox gives at-least-once delivery: duplicates are normal.",
            },
            Stop {
                link: "?area=outbox&preset=inbox",
                title: "The inbox",
                question: "How does the consumer turn those duplicates into one effect?",
                choices: &["It inserts an inbox row keyed by message id in the same transaction as the effect, and skips a message it has seen", "The broker removes duplicates", "It ignores messages that arrive late"],
                answer: 0,
                explain: "Every duplicate hits the inbox row's primary key and is skipped, in the transaction that would apply the effect: effectively once.",
            },
        ],
    },
    Lesson {
        id: "race",
        title: "The SELECT-then-INSERT race",
        stops: &[
            Stop {
                link: "?area=races&scenario=select-then-insert",
                title: "Two requests, one key",
                question: "Two requests with the same key each run their SELECT before the other commits its INSERT. What do they see?",
                choices: &["No row, so both go on and charge", "The other request's row, so one stops"],
                answer: 0,
                explain: "Under READ COMMITTED a row is invisible to other transactions until it commits, so both SELECTs find nothing and both charge.",
            },
            Stop {
                link: "?area=races&scenario=on-conflict",
                title: "Claim the key first",
                question: "Each request first runs INSERT … ON CONFLICT DO NOTHING RETURNING on a unique key. How many get a row back?",
                choices: &["Exactly one", "Both", "Neither"],
                answer: 0,
                explain: "The unique index lets one INSERT win; the other waits, then gets no row and answers 409 or replays the stored response instead of charging.",
            },
            Stop {
                link: "?area=keys&preset=volatile-crash",
                title: "A key store in memory",
                question: "The key store lives in process memory and the server crashes after charging. What does the retry do?",
                choices: &["Charges again: the store forgot the key", "Gets the stored response"],
                answer: 0,
                explain: "A crash empties a volatile store, so the retry looks new and charges again. A production key store is a durable table next to the charges.",
            },
        ],
    },
];

/// The lesson with `id`.
pub fn lesson(id: &str) -> Option<&'static Lesson> {
    LESSONS.iter().find(|l| l.id == id)
}

const STORAGE_KEY: &str = "idemlab.lessons.v1";

/// The choice made at each stop of each lesson, as stored.
pub type Progress = BTreeMap<String, Vec<Option<usize>>>;

/// Reads stored progress; anything malformed is an empty record, and each
/// lesson's row is cut or padded to its stops.
pub fn progress_from_json(s: &str) -> Progress {
    let mut p: Progress = serde_json::from_str(s).unwrap_or_default();
    p.retain(|id, _| lesson(id).is_some());
    for (id, row) in p.iter_mut() {
        let (n, l) = (lesson(id).map_or(0, |l| l.stops.len()), lesson(id));
        row.resize(n, None);
        // A stored choice past the stop's choices is dropped.
        for (c, stop) in row.iter_mut().zip(l.map_or(&[][..], |l| l.stops)) {
            if c.is_some_and(|c| c >= stop.choices.len()) {
                *c = None;
            }
        }
    }
    p
}

/// The stored progress.
pub fn load_progress() -> Progress {
    web::storage_get(STORAGE_KEY).map(|s| progress_from_json(&s)).unwrap_or_default()
}

/// Stops answered in lesson `id`.
pub fn answered(p: &Progress, id: &str) -> usize {
    p.get(id).map_or(0, |row| row.iter().filter(|c| c.is_some()).count())
}

/// The link of stop `stop` (1-based) of lesson `id`, keeping an embed's
/// parameters so navigation never leaves the frame.
fn stop_link(q: &Query, id: &str, stop: usize) -> Query {
    let mut next = Query::default();
    next.set("area", "recall");
    next.set("lesson", id);
    next.set("stop", stop);
    // Inside an embed the lesson keeps the author's frame: embed, origins, locks, reveal.
    crate::host::keep_frame(q, next)
}

/// Props of [`StopLab`].
#[derive(Properties, PartialEq, Clone)]
struct StopLabProps {
    link: AttrValue,
}

/// The stop's lab screen, inline, showing its picture only. Its own link
/// lives here, not in the URL, so stepping it never leaves the lesson.
#[component]
fn StopLab(p: &StopLabProps) -> Html {
    let q = use_state(|| Query::parse(&p.link));
    let on_query = {
        let q = q.clone();
        Callback::from(move |next: Query| q.set(next))
    };
    let area = (*q).clone().area();
    if area == Area::Recall {
        return html! {};
    }
    html! {
        <ContextProvider<PageMode> context={PageMode { embed: true, view: View::Picture }}>
            { super::render(area, (*q).clone(), on_query) }
        </ContextProvider<PageMode>>
    }
}

/// A lesson page (`?area=recall&lesson=<id>&stop=<n>`).
#[component]
pub fn LessonPage(p: &LabProps) -> Html {
    let progress = use_state(load_progress);
    let mut q = p.query.clone();
    let id = q.get("lesson").unwrap_or("").to_string();
    let Some(l) = lesson(&id) else {
        q.warnings.push(format!("lesson={id} is not a lesson; pick one below."));
        return html! {
            <section class="lab lessons" data-lab="lessons">
                <LinkWarnings warnings={q.warnings.clone()} />
                <h2>{ "Guided lessons" }</h2>
                <ul>{ for LESSONS.iter().map(|l| html! {
                    <li><a href={stop_link(&q, l.id, 1).to_search()}>{ l.title }</a></li>
                }) }</ul>
            </section>
        };
    };
    let n = l.stops.len();
    let k = q.int("stop", 1, 1, n as i64) as usize;
    let embed = q.flag("embed", false);
    let stop = &l.stops[k - 1];
    let row = progress.get(l.id).cloned().unwrap_or_else(|| vec![None; n]);
    let go = |to: usize| {
        let (on_query, next) = (p.on_query.clone(), stop_link(&q, l.id, to));
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            on_query.emit(next.clone());
        })
    };
    let on_answer = {
        let (progress, id) = (progress.clone(), l.id);
        Callback::from(move |(choice, _right): (usize, bool)| {
            let mut all = load_progress();
            let row = all.entry(id.to_string()).or_insert_with(|| vec![None; n]);
            row.resize(n, None);
            row[k - 1] = Some(choice);
            if let Ok(json) = serde_json::to_string(&all) {
                web::storage_set(STORAGE_KEY, &json);
            }
            progress.set(all);
        })
    };
    let done = row.iter().filter(|c| c.is_some()).count();
    html! {
        <section class="lab lessons" data-lab="lessons" data-lesson={l.id} data-stop={k.to_string()}>
            <LinkWarnings warnings={q.warnings.clone()} />
            if !embed { <p class="lesson-back"><a href="?area=recall">{ "← Recall" }</a></p> }
            <h2>{ format!("Lesson: {}", l.title) }</h2>
            <nav class="lesson-stops" aria-label="Stops">
                <ol>
                    { for l.stops.iter().enumerate().map(|(i, s)| {
                        let here = i + 1 == k;
                        html! {
                            <li class={classes!(here.then_some("current"), row.get(i).copied().flatten().map(|_| "done"))}>
                                <a href={stop_link(&q, l.id, i + 1).to_search()} aria-current={here.then_some("step")} onclick={go(i + 1)}>
                                    { if row.get(i).copied().flatten().is_some() { "✓ " } else { "" } }{ s.title }
                                </a>
                            </li>
                        }
                    }) }
                </ol>
                <p class="lesson-progress" aria-live="polite">{ format!("Stop {k} of {n} · {done} of {n} answered") }</p>
            </nav>
            <h3>{ format!("{k}. {}", stop.title) }</h3>
            <Predict lab="lessons" id={format!("{}-{k}", l.id)} question={stop.question}
                choices={stop.choices.iter().map(|c| AttrValue::from(*c)).collect::<Vec<_>>()}
                answer={stop.answer} explain={stop.explain} picked={row.get(k - 1).copied().flatten()} on_answer={on_answer} />
            <div class="lesson-screen">
                <StopLab key={format!("{}-{k}", l.id)} link={stop.link} />
            </div>
            <nav class="lesson-nav" aria-label="Lesson">
                if k > 1 { <a class="lesson-prev" href={stop_link(&q, l.id, k - 1).to_search()} onclick={go(k - 1)}>{ "← Previous stop" }</a> }
                if k < n {
                    <a class="lesson-next" href={stop_link(&q, l.id, k + 1).to_search()} onclick={go(k + 1)}>{ "Next stop →" }</a>
                } else if !embed {
                    <a class="lesson-next" href={format!("{}#recall-{}", crate::host::area_link(&q, "recall").to_search(), l.id)}>{ "Done: back to the recall prompt →" }</a>
                }
                <a class="lesson-open" href={crate::host::keep_frame(&q, Query::parse(stop.link)).to_search()}>{ "Open this screen in the lab" }</a>
            </nav>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::recall::PROMPTS;

    #[test]
    fn there_is_one_lesson_per_recall_prompt_with_three_to_six_stops() {
        assert_eq!(LESSONS.len(), PROMPTS.len());
        for (l, p) in LESSONS.iter().zip(&PROMPTS) {
            assert_eq!(l.id, p.id);
            assert!((3..=6).contains(&l.stops.len()), "{}", l.id);
            for s in l.stops {
                assert!(s.answer < s.choices.len() && s.choices.len() >= 2, "{}: {}", l.id, s.title);
            }
        }
    }

    #[test]
    fn every_stop_link_opens_a_lab_screen_without_a_link_warning() {
        for l in &LESSONS {
            for s in l.stops {
                let mut q = Query::parse(s.link);
                assert!(q.warnings.is_empty(), "{}: {:?}", s.link, q.warnings);
                assert_ne!(q.area(), Area::Recall, "{}", s.link);
                // Labs under the engine contract read the link as the page does;
                // the others are checked end to end (tests/e2e/lessons.test.mjs).
                match idemlab_sim::labs::run_permalink(s.link) {
                    Ok(report) => assert!(report.warnings.is_empty(), "{}: {:?}", s.link, report.warnings),
                    Err(e) => assert!(e.contains("no engine run under the lab contract yet"), "{}: {e}", s.link),
                }
            }
        }
    }

    #[test]
    fn stored_progress_is_reshaped_and_malformed_progress_is_empty() {
        assert!(progress_from_json("{nope").is_empty());
        let p = progress_from_json(r#"{"race":[0,null,1,1,1,1,1,1,1],"gone":[1],"fingerprint":[9]}"#);
        assert_eq!(p["race"], vec![Some(0), None, Some(1)]);
        assert!(!p.contains_key("gone"));
        assert_eq!(p["fingerprint"], vec![None, None, None], "a choice past the choices is dropped");
        assert_eq!(answered(&p, "race"), 2);
    }

    #[test]
    fn a_stop_link_keeps_the_frame_and_nothing_else() {
        let q = Query::parse("area=recall&lesson=race&stop=2&embed=1&lock=seed&step=4");
        let next = stop_link(&q, "race", 3);
        assert_eq!(next.get("embed"), Some("1"));
        assert_eq!(next.get("lock"), Some("seed"));
        assert_eq!(next.get("stop"), Some("3"));
        assert_eq!(next.get("step"), None);
    }
}
