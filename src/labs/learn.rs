//! Learn: the six guided lessons as one path, in the order a newcomer meets
//! the ideas (`?area=recall&learn=1`, a view of Recall, which stays the
//! self-test after them), with each lesson's progress as the lessons keep it,
//! and the screens that show what only the model answers used to say.

use super::lessons::{self, Progress};
use crate::components::{LinkWarnings, Term};
use crate::query::Query;
use crate::shell::LabProps;
use yew::prelude::*;

/// The lessons' ids in the path's order: why exactly-once fails and what
/// replaces it, what a key resolves to, what the fingerprint catches, the
/// race between two requests, then events (outbox and inbox), then the
/// fleet's retries.
pub const PATH: [&str; 6] =
    ["effectively-once", "four-outcomes", "fingerprint", "race", "outbox", "jitter-and-budgets"];

/// A point a recall prompt's model answer makes, and the lab screen that shows it.
pub struct Screen {
    /// The recall prompt (and lesson) whose model answer makes the point.
    pub prompt: &'static str,
    /// The point, in a few words.
    pub point: &'static str,
    /// The lab screen that shows it (a permalink's query string).
    pub link: &'static str,
    /// What to look at there.
    pub look: &'static str,
}

/// The model answers' points that no lesson stop asked about, each with an
/// existing preset (or a knob setting) that shows it run by the engine.
pub const SCREENS: [Screen; 7] = [
    Screen {
        prompt: "effectively-once",
        point: "The dedup record commits in the effect's own transaction",
        link: "?area=outbox&preset=apply-first",
        look: "The consumer commits the effect, then its inbox row, in two transactions: a crash between them ships twice. Compare the inbox preset, where both commit together.",
    },
    Screen {
        prompt: "jitter-and-budgets",
        point: "Retry a timeout only when the request is idempotent or carries a key",
        link: "?area=retries&preset=no-key",
        look: "Timeouts retried without an Idempotency-Key do the work again; the counter of repeated work says how often.",
    },
    Screen {
        prompt: "jitter-and-budgets",
        point: "Honour Retry-After",
        link: "?area=retries&preset=ra-ignored",
        look: "Clients that ignore the server's Retry-After; the next preset honours it, with the same overload.",
    },
    Screen {
        prompt: "jitter-and-budgets",
        point: "k retries at each of N layers: (k+1)^N calls",
        link: "?area=retries&lay=2&lk=2&err=100",
        look: "Every call fails, so each of 2 layers retries twice: compare the amplification with the client's 3 attempts × (2+1)².",
    },
    Screen {
        prompt: "race",
        point: "FOR UPDATE on an absent key locks nothing",
        link: "?area=races&preset=for-update",
        look: "Both SELECT … FOR UPDATE statements find no row, so neither waits.",
    },
    Screen {
        prompt: "race",
        point: "23505 arrives after the money has moved",
        link: "?area=races&preset=unique-charge-first",
        look: "The unique index refuses the second INSERT only after the second request has charged.",
    },
    Screen {
        prompt: "race",
        point: "The key store must be durable",
        link: "?area=keys&preset=volatile-crash",
        look: "A key store in memory forgets every key in a crash.",
    },
];

/// The Learn view's link, keeping an embed's frame.
pub fn learn_link(q: &Query) -> Query {
    let mut next = crate::host::area_link(q, "recall");
    next.set("learn", 1);
    next
}

/// The link of a lesson's first stop not yet answered (its first when all are).
fn resume_link(q: &Query, id: &str, progress: &Progress) -> Query {
    let row = progress.get(id);
    let first_open = row.and_then(|r| r.iter().position(Option::is_none)).unwrap_or(0);
    lessons::stop_link(q, id, first_open + 1)
}

/// The lesson after `id` on the path, if any.
pub fn next_on_path(id: &str) -> Option<&'static lessons::Lesson> {
    let at = PATH.iter().position(|p| *p == id)?;
    PATH.get(at + 1).and_then(|next| lessons::lesson(next))
}

/// The Learn page.
#[component]
pub fn LearnPage(p: &LabProps) -> Html {
    let progress = use_memo((), |_| lessons::load_progress());
    let mut q = p.query.clone();
    crate::shell::warn_unknown_page_keys(&mut q, &["learn"]);
    let keep = |link: &str| crate::host::keep_frame(&p.query, Query::parse(link)).to_search();
    let lessons_html = PATH.iter().filter_map(|id| lessons::lesson(id)).map(|l| {
        let (done, n) = (lessons::answered(&progress, l.id), l.stops.len());
        let state = match done {
            0 => "Start",
            d if d == n => "Again",
            _ => "Continue",
        };
        html! {
            <li class={classes!("learn-lesson", (done == n).then_some("done"))} data-lesson={l.id}>
                <a href={resume_link(&q, l.id, &progress).to_search()}>
                    <span class="learn-title">{ l.title }</span>
                    <span class="learn-progress">{ format!("{state} · {done} of {n} stops answered") }</span>
                </a>
            </li>
        }
    });
    html! {
        <section class="lab learn" data-lab="learn">
            <LinkWarnings warnings={q.warnings.clone()} />
            <h2>{ "Learn: six guided lessons" }</h2>
            <p class="prose">{ "Each lesson is a few stops. At each stop you answer one question about a lab screen before it shows you what the simulation did. Your answers stay in this browser." }</p>
            <ol class="learn-path">{ for lessons_html }</ol>
            <p class="learn-recall">{ "After the lessons, " }
                <a href={crate::host::area_link(&q, "recall").to_search()}>{ "Recall" }</a>
                { " tests you: answer each question from memory, then compare with the model answer." }</p>
            <h3>{ "More to see: what the model answers say, on screen" }</h3>
            <ul class="learn-screens">
                { for SCREENS.iter().map(|s| html! {
                    <li data-prompt={s.prompt}>
                        <a href={keep(s.link)}>{ s.point }</a>
                        <span class="learn-look">{ s.look }</span>
                    </li>
                }) }
            </ul>
            <p class="note">{ "Words used here: " }
                <Term word="Retry-After" tip="An HTTP response header in which the server says how long the client should wait before it tries again (RFC 9110 section 10.2.3)." />
                { ", " }
                <Term word="23505" tip="PostgreSQL's SQLSTATE for unique_violation: an INSERT or UPDATE would duplicate a value a unique index allows once." />
                { ", " }
                <Term word="FOR UPDATE" tip="A locking clause of SELECT: it locks the rows the query returns, so it locks nothing when no row matches." />
                { "." }</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_holds_every_lesson_once() {
        let mut path = PATH.to_vec();
        path.sort_unstable();
        let mut ids: Vec<&str> = lessons::LESSONS.iter().map(|l| l.id).collect();
        ids.sort_unstable();
        assert_eq!(path, ids);
    }

    #[test]
    fn every_screen_runs_without_a_link_warning_and_names_a_recall_prompt() {
        for s in &SCREENS {
            assert!(crate::labs::recall::PROMPTS.iter().any(|p| p.id == s.prompt), "{}", s.prompt);
            let report = idemlab_sim::labs::run_permalink(s.link).unwrap_or_else(|e| panic!("{}: {e}", s.link));
            assert!(report.warnings.is_empty(), "{}: {:?}", s.link, report.warnings);
        }
    }

    #[test]
    fn the_layers_screen_costs_k_plus_one_to_the_n_calls_per_client_attempt() {
        // Every call fails, so each of the 2 layers spends its 2 retries: (2+1)^2 = 9 calls an attempt.
        let r = idemlab_sim::labs::run_permalink(SCREENS[3].link).expect("runs");
        let ratio = |id: &str| {
            r.counters.iter().find(|c| c.id == id).and_then(|c| match c.value {
                idemlab_sim::lab::Figure::Ratio(x) => Some(x),
                idemlab_sim::lab::Figure::Count(_)
                | idemlab_sim::lab::Figure::Share(_)
                | idemlab_sim::lab::Figure::Ms(_) => None,
            })
        };
        let (calls, attempts) =
            (ratio("amplification").expect("counter"), ratio("attempts_per_request").expect("counter"));
        assert!((calls / attempts - 9.0).abs() < 1e-9, "{calls} calls for {attempts} attempts a request");
    }

    #[test]
    fn the_path_goes_on_to_the_next_lesson_and_ends() {
        assert_eq!(next_on_path(PATH[0]).map(|l| l.id), Some(PATH[1]));
        assert!(next_on_path(PATH[5]).is_none());
    }
}
