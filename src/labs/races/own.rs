//! The learner's own handler on the Races page. The page's wasm has no SQL
//! parser (issue 13): a link's `handler=` text goes to the Web Worker
//! (`ExploreJob`), which compiles and explores it and answers with the
//! compiled lanes and every schedule. The page then runs schedules of the
//! compiled data itself (`races::run_explored`), as it does for a shipped
//! scenario, so stepping never waits for the worker.
//!
//! Edits are debounced; while the worker works, the page keeps the last
//! answer that ran (and says that the picture is of the previous text), so
//! typing never empties the picture: the handler is the page's run source
//! (`use_races_lab`), and keeping the previous run is the shell's rule.

use crate::offload::{use_offload, ExploreJob, HandlerExplored, Offloaded};
use crate::shell::{use_lab_from, LabLink, LabProps, LabState, RunSource};
use idemlab_sim::error::SimError;
use idemlab_sim::races::{self, run_explored, Exploration, HandlerError, RacesLab, RacesRun, Scenario};
use std::rc::Rc;
use yew::prelude::*;

/// How long the text must rest before the worker is asked, in milliseconds.
const DEBOUNCE_MS: u32 = 120;

/// A compiled handler ready to run, with every schedule of it (or why the explorer stopped).
pub type Ran = (Rc<Scenario>, Result<Rc<Exploration>, String>);

/// One answer of the worker, unpacked.
#[derive(Debug)]
pub struct Answer {
    /// The text it answers.
    pub text: String,
    /// The lanes asked for.
    pub lanes: u8,
    /// The compiled scenario and its exploration (`Err` until explored, or
    /// why the explorer stopped), or why the text was refused.
    pub ran: Result<Ran, HandlerError>,
    /// Whether the exploration is in (the first answer has only the compile).
    pub explored: bool,
    /// Whether the worker is done with this text (explored, or refused).
    pub finished: bool,
}

impl Answer {
    fn of(h: &HandlerExplored, finished: bool) -> Answer {
        let ran = match h.unpack() {
            Ok((s, x)) => Ok((Rc::new(s), x)),
            Err(message) => Err(h.compiled.clone().err().unwrap_or(HandlerError { line: 0, message })),
        };
        Answer { text: h.text.clone(), lanes: h.lanes, ran, explored: h.explored.is_some(), finished }
    }

    fn is_for(&self, key: &(String, u8)) -> bool {
        self.text == key.0 && self.lanes == key.1
    }
}

/// What the page knows about the link's handler.
pub struct OwnHandler {
    /// The worker's answer for the text in the link, once it has come.
    pub current: Option<Rc<Answer>>,
    /// The last answer that compiled and was explored (perhaps of an earlier text).
    pub last_good: Option<Rc<Answer>>,
    /// The worker is compiling or exploring (a newer text than `current`, or `current` itself).
    pub busy: bool,
    /// The worker failed or the learner cancelled: its words.
    pub failed: Option<String>,
    /// How long the last answer took, from the request to the reply, in ms.
    pub ms: Option<f64>,
    /// Stops the running job.
    pub cancel: Callback<()>,
}

/// Compiles and explores `key` (the link's handler and lanes) in the worker.
#[hook]
pub fn use_own_handler(key: Option<(String, u8)>) -> OwnHandler {
    let job = use_state(|| None::<ExploreJob>);
    let sent_at = use_mut_ref(|| 0.0f64);
    {
        let (job, sent_at) = (job.clone(), sent_at.clone());
        use_effect_with(key.clone(), move |k| {
            let next = k.clone().map(|(text, lanes)| ExploreJob { text, lanes });
            let first = job.is_none();
            let next_is_some = next.is_some();
            let send = move || {
                *sent_at.borrow_mut() = crate::web::now_ms();
                job.set(next);
            };
            // A link opened with a handler asks at once; an edit waits for the text to rest.
            // A page without a handler sends nothing (and spawns no worker).
            let timer = if first {
                if next_is_some {
                    send();
                }
                None
            } else {
                Some(gloo_timers::callback::Timeout::new(DEBOUNCE_MS, send))
            };
            move || drop(timer)
        });
    }
    let handle = use_offload((*job).clone());
    let json = match &handle.state {
        Offloaded::Done(json) => Some(((**json).clone(), true)),
        Offloaded::Running { partial: Some(json), .. } => Some(((**json).clone(), false)),
        Offloaded::Idle
        | Offloaded::Running { partial: None, .. }
        | Offloaded::Failed(_)
        | Offloaded::Cancelled { .. }
        | Offloaded::NoAnswer => None,
    };
    let parsed = use_memo(json.clone(), |j| {
        j.as_ref().map(|(j, done)| HandlerExplored::from_json(j).map(|h| Rc::new(Answer::of(&h, *done))))
    });
    let latest = use_mut_ref(|| None::<Rc<Answer>>);
    let last_good = use_mut_ref(|| None::<Rc<Answer>>);
    let ms = use_mut_ref(|| None::<f64>);
    let mut failed = None;
    match parsed.as_ref() {
        Some(Ok(a)) => {
            let changed = latest.borrow().as_ref().is_none_or(|l| !Rc::ptr_eq(l, a));
            if changed {
                *latest.borrow_mut() = Some(a.clone());
                if json.as_ref().is_some_and(|(_, done)| *done) {
                    *ms.borrow_mut() = Some(crate::web::now_ms() - *sent_at.borrow());
                }
                if a.explored && a.ran.as_ref().is_ok_and(|(_, x)| x.is_ok()) {
                    *last_good.borrow_mut() = Some(a.clone());
                }
            }
        }
        Some(Err(e)) => failed = Some(e.clone()),
        None => {}
    }
    match &handle.state {
        Offloaded::Failed(e) => failed = Some(e.clone()),
        Offloaded::Cancelled { .. } => failed = Some("the exploration was cancelled".into()),
        Offloaded::NoAnswer => {
            failed = Some(
                "the Web Worker has not answered: its file (idemlab-worker_loader.js) may be missing or refused by the page's Content-Security-Policy"
                    .into(),
            )
        }
        Offloaded::Idle | Offloaded::Running { .. } | Offloaded::Done(_) => {}
    }
    let current = key.as_ref().and_then(|k| latest.borrow().clone().filter(|a| a.is_for(k)));
    let busy = key.is_some()
        && failed.is_none()
        && (matches!(handle.state, Offloaded::Running { .. }) || current.as_ref().is_none_or(|a| !a.finished));
    let last_good = last_good.borrow().clone();
    let ms = *ms.borrow();
    OwnHandler { current, last_good, busy, failed, ms, cancel: handle.cancel }
}

/// The Races lab for one render: the run of a shipped scenario (on the
/// page), or of the learner's handler (compiled in the worker, run on the page).
pub struct RacesState {
    /// The lab, with the run shown (perhaps the previous one, stale).
    pub lab: LabState<RacesLab>,
    /// What the page knows about the link's handler.
    pub own: OwnHandler,
    /// The answer whose run is shown for a handler, and whether it is of an earlier text.
    pub source: Option<(Rc<Answer>, bool)>,
    /// The link has a handler.
    pub has_handler: bool,
    /// Why the link's handler did not run: the parser's refusal (an invalid
    /// `handler` parameter), or the worker's words when it failed or was cancelled.
    pub refused: Option<String>,
}

/// The Races lab with its run source: the page for a shipped scenario, the
/// worker's compiled handler for a link with `handler=`.
#[hook]
pub fn use_races_lab(p: &LabProps) -> RacesState {
    let params = LabLink::<RacesLab>::read(&p.query).params;
    let own_key = params.handler.clone().map(|t| (t, params.lanes));
    let own = use_own_handler(own_key.clone());
    let source = handler_source(&own);
    let handler_run = {
        // Keyed without the text: the answer stands for the text, so a
        // keystroke that leaves the answer in place reruns nothing.
        let p = races::RacesParams { handler: None, ..params };
        let key = (p, source.as_ref().map(|(a, _)| Rc::as_ptr(a) as usize));
        let source = source.clone();
        use_memo(key, move |(p, _)| {
            let (a, _) = source?;
            let (s, x) = a.ran.as_ref().ok()?;
            Some(Rc::new(run_explored(p, (**s).clone(), x.clone())))
        })
    };
    // Any earlier run that started stands in while the worker works on an edit.
    let any_run: fn(&RacesRun) -> bool = |_| true;
    let run_source = match &own_key {
        None => RunSource::Page,
        Some(_) => RunSource::Elsewhere {
            run: (*handler_run).clone(),
            for_link: !source.as_ref().is_some_and(|(_, stale)| *stale),
            from: "handler",
            stand_in: Some(any_run),
        },
    };
    let lab = use_lab_from::<RacesLab>(p, run_source, None);
    let refused = own
        .current
        .as_ref()
        .and_then(|a| a.ran.as_ref().err())
        .map(|e| SimError::InvalidParameter { name: "handler", reason: e.to_string() }.to_string())
        .or(own.failed.clone());
    RacesState { lab, own, source, has_handler: own_key.is_some(), refused }
}

/// The answer whose run the picture shows for a handler, and whether it is
/// stale (of an earlier text: the worker is still on the new one, or refused it).
fn handler_source(own: &OwnHandler) -> Option<(Rc<Answer>, bool)> {
    match &own.current {
        Some(a) if a.explored && a.ran.is_ok() => Some((a.clone(), false)),
        Some(_) | None => own.last_good.clone().map(|a| (a, true)),
    }
}
