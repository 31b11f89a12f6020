//! "Start here": the home page opens with the incidents people arrive with
//! ([`SYMPTOMS`]). Tapping one opens its triage, whose answers are links to
//! the lab screen that reproduces the cause, built by the shell's link writer
//! and opening at the step before it happens (`LabPage::landing_step`), so
//! the prediction gate still asks first.

use super::symptoms::{Next, Symptom, Triage, SYMPTOMS, TERMS};
use crate::components::Term;
use crate::labs::{visit_page, LabPage, PageVisitor};
use crate::query::Query;
use crate::shell::LabAction;
use crate::web;
use yew::prelude::*;

/// The link a symptom's answer opens: `show` (`?area=<lab>&preset=<slug>&step=<n>`)
/// written afresh from `from` (keeping an embed's frame), at the step `show`
/// names: the preset's landing step (`LabPage::landing_step`), written into
/// the link's text and checked against the engine by a test, so the home
/// page runs no other lab's engine and its page build carries none (issue 27).
/// `None` for a link that names no lab or no preset.
pub fn landing(from: &Query, show: &str) -> Option<Query> {
    struct Landing<'a>(&'a Query, &'a str, usize);
    impl PageVisitor for Landing<'_> {
        type Out = Option<Query>;
        fn page<P: LabPage>(self) -> Option<Query> {
            let preset = P::preset(self.1)?;
            let base = crate::host::area_link(self.0, P::SLUG);
            P::next_link(&base, &LabAction::Then(vec![LabAction::Preset(preset.slug), LabAction::Step(self.2)]))
        }
    }
    let mut q = Query::parse(show);
    let area = q.area();
    let preset = q.get("preset")?.to_string();
    let step = q.get("step").and_then(|s| s.parse().ok()).unwrap_or(0);
    visit_page(area, Landing(from, &preset, step)).flatten()
}

/// Text with `{word}` glossary marks, as text and [`Term`]s.
fn marked(text: &'static str) -> Html {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else { break };
        out.push(html! { { &rest[..open] } });
        let word = &rest[open + 1..close];
        let tip = TERMS.iter().find(|(w, _)| *w == word).map_or("", |(_, t)| *t);
        debug_assert!(!tip.is_empty(), "{word} has no tip in TERMS");
        out.push(html! { <Term word={word.to_string()} tip={tip} /> });
        rest = &rest[close + 1..];
    }
    out.push(html! { { rest } });
    out.into_iter().collect()
}

/// Props of [`StartHere`].
#[derive(Properties, PartialEq, Clone)]
pub struct StartHereProps {
    /// The page's link (an embed's frame is kept).
    pub query: Query,
    /// Writes a new link (the app's navigation).
    pub on_query: Callback<Query>,
}

/// The symptoms, and the open one's triage.
#[component]
pub fn StartHere(p: &StartHereProps) -> Html {
    // The open symptom, then the answers chosen to its questions.
    let path = use_state(Vec::<usize>::new);
    let choose = |depth: usize, i: usize| {
        let path = path.clone();
        Callback::from(move |_: MouseEvent| {
            let mut next: Vec<usize> = path.iter().copied().take(depth).collect();
            // Tapping the open one again closes it.
            if path.get(depth) != Some(&i) {
                next.push(i);
            }
            path.set(next);
        })
    };
    let show = |words: &'static str, link: &'static str| {
        let Some(q) = landing(&p.query, link) else { return html! {} };
        let (on_query, next) = (p.on_query.clone(), q.clone());
        let onclick = Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            web::write_url(&next, true);
            web::scroll_after_render("step-caption");
            on_query.emit(next.clone());
        });
        html! { <a class="triage-show" href={q.to_search()} {onclick}>{ words }{ " →" }</a> }
    };
    let triage = |s: &'static Symptom| {
        let mut out = Vec::new();
        let mut next = &s.next;
        let mut depth = 1;
        loop {
            match next {
                Next::Show(link) => {
                    out.push(html! { <p class="triage-q">{ show("See where it happens, step by step", link) }</p> });
                    break;
                }
                Next::Ask(t) => {
                    let t: &'static Triage = t;
                    let picked = path.get(depth).copied();
                    out.push(html! {
                        <fieldset class="triage-step" data-depth={depth.to_string()}>
                            <legend class="triage-q">{ marked(t.question) }</legend>
                            <ul class="triage-answers">
                                { for t.answers.iter().enumerate().map(|(i, a)| html! {
                                    <li>{ match &a.next {
                                        Next::Show(link) => show(a.words, link),
                                        Next::Ask(_) => html! {
                                            <button type="button" class="triage-more" aria-expanded={(picked == Some(i)).to_string()}
                                                onclick={choose(depth, i)}>{ a.words }</button>
                                        },
                                    } }</li>
                                }) }
                            </ul>
                        </fieldset>
                    });
                    match picked.and_then(|i| t.answers.get(i)) {
                        Some(a) => {
                            next = &a.next;
                            depth += 1;
                        }
                        None => break,
                    }
                }
            }
        }
        out.into_iter().collect::<Html>()
    };
    let open = path.first().copied();
    html! {
        <section class="start-here" aria-labelledby="start-here-title">
            <h2 id="start-here-title">{ "Start here: what went wrong?" }</h2>
            <p class="prose">{ "Pick what you saw. A question or two find the cause, then the lab replays it step by step and asks what you expect before it shows you." }</p>
            <ul class="symptoms">
                { for SYMPTOMS.iter().enumerate().map(|(i, s)| {
                    let here = open == Some(i);
                    html! {
                        <li class={classes!("symptom", here.then_some("open"))} data-symptom={s.id}>
                            <button type="button" class="symptom-button" aria-expanded={here.to_string()} onclick={choose(0, i)}>{ s.words }</button>
                            if here { <div class="triage">{ triage(s) }</div> }
                        </li>
                    }
                }) }
            </ul>
            <p class="start-learn">{ "Or learn it in order: " }
                <a href={crate::labs::learn::learn_link(&p.query).to_search()}>{ "the guided lessons" }</a>{ "." }</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_answer_opens_a_preset_at_a_step_before_its_failure_without_a_warning() {
        let home = Query::parse("");
        for (words, link) in super::super::symptoms::shows() {
            let q = landing(&home, link).unwrap_or_else(|| panic!("{words}: {link} opens nothing"));
            let report = idemlab_sim::labs::run_permalink(&q.to_search()).unwrap_or_else(|e| panic!("{link}: {e}"));
            assert!(report.warnings.is_empty(), "{link}: {:?}", report.warnings);
            assert_eq!(Some(Query::parse(link).get("preset").unwrap_or("")), report.preset, "{link}");
        }
    }

    #[test]
    fn every_answer_names_its_presets_landing_step_as_the_engine_computes_it() {
        struct Engine<'a>(&'a str);
        impl PageVisitor for Engine<'_> {
            type Out = Option<usize>;
            fn page<P: LabPage>(self) -> Option<usize> {
                Some(P::landing_step(&P::preset_params(P::preset(self.0)?)))
            }
        }
        let mut wrong = Vec::new();
        for (words, link) in super::super::symptoms::shows() {
            let mut q = Query::parse(link);
            let area = q.area();
            let preset = q.get("preset").expect("a preset").to_string();
            let want = visit_page(area, Engine(&preset)).flatten().unwrap_or_else(|| panic!("{words}: {link}"));
            let have: usize = q.get("step").map_or(0, |s| s.parse().expect("a step number"));
            if have != want {
                wrong.push(format!("{link} should name step={want}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn a_retry_without_a_key_opens_at_the_retry_before_the_second_charge() {
        let link =
            super::super::symptoms::shows().into_iter().find(|(_, l)| l.contains("preset=no-key")).expect("no-key").1;
        let q = landing(&Query::parse(""), link).expect("a link");
        let step: usize = q.get("step").and_then(|s| s.parse().ok()).expect("a step");
        let p = idemlab_sim::keys::presets::params_of("no-key");
        let run = idemlab_sim::keys::run(&idemlab_sim::keys::KeysParams { ops: 1, ..p }).expect("run");
        let second = idemlab_sim::keys::view::decisive_step(&run).expect("a second charge");
        assert!(0 < step && step < second, "opens at {step}, the second charge is step {second}");
    }

    #[test]
    fn an_embed_keeps_its_frame_through_a_symptom_link() {
        let q = landing(&Query::parse("embed=1&origins=https://course.example"), "?area=outbox&preset=lost")
            .expect("a link");
        assert_eq!((q.get("embed"), q.get("origins")), (Some("1"), Some("https://course.example")));
    }
}
