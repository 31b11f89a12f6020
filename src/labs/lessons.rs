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

mod content;

pub use content::{lesson, Lesson, Stop, LESSONS};

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
pub fn stop_link(q: &Query, id: &str, stop: usize) -> Query {
    let mut next = Query::default();
    next.set("area", "recall");
    next.set("lesson", id);
    next.set("stop", stop);
    // Inside an embed the lesson keeps the author's frame: embed, origins, locks, reveal.
    crate::host::keep_frame(q, next)
}

/// Glossary words a stop's lab screen shows that no text of the stop says
/// (the screen's own labels and summaries), by lesson and stop.
fn screen_words(lesson: &str, stop: usize) -> &'static [&'static str] {
    match (lesson, stop) {
        ("four-outcomes", 3) => &["5xx"],
        ("four-outcomes", 4) => &["fingerprint"],
        ("jitter-and-budgets", 1 | 2) => &["503", "gRPC", "adaptive throttling"],
        ("jitter-and-budgets", 3) => &["400", "503", "gRPC", "adaptive throttling"],
        ("outbox", 2 | 3) => &["aggregatetype"],
        _ => &[],
    }
}

/// The glossary words stop `k` (1-based) of `l` uses and `done` has not
/// explained yet: in its lesson's list of stops, its question, choices and
/// answer, and on its screen. They are explained before the question.
fn stop_words(l: &Lesson, k: usize, done: &mut Vec<&'static str>) -> Vec<&'static str> {
    let Some(stop) = l.stops.get(k - 1) else { return Vec::new() };
    let texts =
        l.stops.iter().map(|s| s.title).chain([stop.question, stop.explain]).chain(stop.choices.iter().copied());
    let mut words = Vec::new();
    for text in texts.chain(screen_words(l.id, k).iter().copied()) {
        let mut at = 0;
        while let Some((_, end, entry)) = idemlab_sim::glossary::find(text, at) {
            at = end;
            if !done.contains(&entry.word) {
                done.push(entry.word);
                words.push(entry.word);
            }
        }
    }
    words
}

/// "Words at this stop", each a [`crate::components::Term`]; nothing when there are none.
fn words_line(words: &[&'static str]) -> Html {
    if words.is_empty() {
        return html! {};
    }
    let terms = words.iter().enumerate().map(|(i, w)| {
        html! { <>{ if i > 0 { " · " } else { "" } }<crate::components::Term word={*w} /></> }
    });
    html! { <p class="lesson-words">{ "Words at this stop: " }{ for terms }</p> }
}

/// Props of [`StopLab`].
#[derive(Properties, PartialEq, Clone)]
struct StopLabProps {
    link: AttrValue,
    /// The stop's question is answered: until it is, the screen opens at
    /// its start, not at the step its link names (which may show the answer).
    answered: bool,
}

/// The stop's lab screen, inline, showing its picture only. Its own link
/// lives here, not in the URL, so stepping it never leaves the lesson.
#[component]
fn StopLab(p: &StopLabProps) -> Html {
    let q = use_state(|| {
        let mut q = Query::parse(&p.link);
        if !p.answered {
            q.remove("step");
        }
        q
    });
    let on_query = {
        let q = q.clone();
        Callback::from(move |next: Query| q.set(next))
    };
    let area = (*q).clone().area();
    if area == Area::Recall {
        return html! {};
    }
    html! {
        <ContextProvider<PageMode> context={PageMode { embed: true, view: View::Picture, present: false }}>
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
            // The new stop's heading and question come into view, not the old scroll position.
            web::scroll_after_render("lesson-stop");
            on_query.emit(next.clone());
        })
    };
    let go_lesson = |id: &'static str| {
        let (on_query, next) = (p.on_query.clone(), stop_link(&q, id, 1));
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            web::scroll_after_render("lesson-stop");
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
    let answered = row.get(k - 1).copied().flatten().is_some();
    // Each glossary word is explained in the first heading that says it.
    let heading = format!("Lesson: {}", l.title);
    let mut glossed = crate::components::explained_above("");
    html! {
        <section class="lab lessons" data-lab="lessons" data-lesson={l.id} data-stop={k.to_string()}>
            <LinkWarnings warnings={q.warnings.clone()} />
            if !embed { <p class="lesson-back"><a href={super::learn::learn_link(&q).to_search()}>{ "← Learn: all lessons" }</a></p> }
            <h2>{ crate::components::gloss(&heading, &mut glossed) }</h2>
            // The progress line stays on top; the list of stops follows the
            // lesson's own links, so Tab reaches this stop's answers first.
            <p class="lesson-progress" aria-live="polite">{ format!("Stop {k} of {n} · {done} of {n} answered") }</p>
            <h3 id="lesson-stop">{ crate::components::gloss(&format!("{k}. {}", stop.title), &mut glossed) }</h3>
            { words_line(&stop_words(l, k, &mut glossed)) }
            <Predict lab="lessons" id={format!("{}-{k}", l.id)} question={stop.question}
                choices={stop.choices.iter().map(|c| AttrValue::from(*c)).collect::<Vec<_>>()}
                answer={stop.answer} explain={stop.explain} picked={row.get(k - 1).copied().flatten()} on_answer={on_answer} />
            <div class="lesson-screen">
                <StopLab key={format!("{}-{k}-{answered}", l.id)} link={stop.link} answered={answered} />
            </div>
            <nav class="lesson-nav" aria-label="Lesson">
                if k > 1 { <a class="lesson-prev" href={stop_link(&q, l.id, k - 1).to_search()} onclick={go(k - 1)}>{ "← Previous stop" }</a> }
                if k < n {
                    <a class="lesson-next" href={stop_link(&q, l.id, k + 1).to_search()} onclick={go(k + 1)}>{ "Next stop →" }</a>
                } else if !embed {
                    <a class="lesson-next" href={format!("{}#recall-{}", crate::host::area_link(&q, "recall").to_search(), l.id)}>{ "Done: back to the recall prompt →" }</a>
                    if let Some(after) = super::learn::next_on_path(l.id) {
                        // The title stays outside the link, so its words are explained where they first appear.
                        <span class="lesson-next-title">{ "Next lesson: " }{ crate::components::gloss(after.title, &mut glossed) }</span>
                        <a class="lesson-next-lesson" href={stop_link(&q, after.id, 1).to_search()} onclick={go_lesson(after.id)}
                           aria-label={format!("Start it: the next lesson, {}", after.title)}>{ "Start it →" }</a>
                    }
                }
                <a class="lesson-open" href={crate::host::keep_frame(&q, Query::parse(stop.link)).to_search()}>{ "Open this screen in the lab" }</a>
            </nav>
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
