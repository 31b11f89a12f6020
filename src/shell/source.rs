//! Where a lab's run comes from, and what the page shows while it comes.
//!
//! A run is made on the page ([`RunSource::Page`], `Lab::run` memoised on the
//! parameters), or elsewhere ([`RunSource::Elsewhere`]: the Web Worker, or a
//! handler the worker compiled), in which case it arrives later than the
//! link that asks for it. The rule for that wait is written once, here
//! ([`Keep`]): the previous run stays on screen, marked stale, until the
//! new one arrives; with nothing to keep, the page says it is loading
//! ([`Shown::Loading`]), which is a state of its own, not an error.

use idemlab_sim::error::SimError;
use std::rc::Rc;
use yew::prelude::*;

/// A run, or why the core refused to start it.
pub type RunResult<R> = Rc<Result<R, SimError>>;

/// Where the run of the link comes from.
pub enum RunSource<R> {
    /// Made on the page: `Lab::run`, memoised on the parameters.
    Page,
    /// Made elsewhere and handed in when it arrives.
    Elsewhere {
        /// The run, once one is in; `None` while the first computes.
        run: Option<RunResult<R>>,
        /// Whether `run` is of the link's parameters; `false` when it is of
        /// earlier ones the source still has (a handler's last text that
        /// compiled), which the page shows stale.
        for_link: bool,
        /// Where it was made: "page" or "worker" (the `data-run` attribute), "handler".
        from: &'static str,
        /// Which previous runs may stand in, marked stale, while this one
        /// computes (`None`: none, the page draws the progress itself).
        stand_in: Option<fn(&R) -> bool>,
    },
}

/// What the page shows from its run source.
#[derive(Clone)]
pub enum Shown<R> {
    /// Nothing yet: the first run is still computing elsewhere.
    Loading,
    /// A run to draw.
    Run {
        /// The run (or the core's refusal).
        run: RunResult<R>,
        /// It is the previous link's run, standing in while the new one computes.
        stale: bool,
        /// Where it was made.
        from: &'static str,
    },
}

impl<R> Shown<R> {
    /// The run drawn, stale or not.
    pub fn run(&self) -> Option<&RunResult<R>> {
        match self {
            Shown::Loading => None,
            Shown::Run { run, .. } => Some(run),
        }
    }

    /// Whether the run drawn is the previous one.
    pub fn stale(&self) -> bool {
        match self {
            Shown::Loading => false,
            Shown::Run { stale, .. } => *stale,
        }
    }
}

/// The last fresh value shown, kept so it can stand in, marked stale, while a
/// newer one computes. Pure, so the rule is tested natively; a page holds one
/// across renders (`use_mut_ref`).
pub struct Keep<K, V> {
    last: Option<(K, V)>,
}

impl<K, V> Default for Keep<K, V> {
    fn default() -> Self {
        Keep { last: None }
    }
}

impl<K: PartialEq + Clone, V: Clone> Keep<K, V> {
    /// For the link's `key`: `fresh` when its value is in (remembered, not
    /// stale); otherwise the last value kept, stale when it was another key's.
    /// `None` when nothing was ever in.
    pub fn show(&mut self, key: &K, fresh: Option<V>) -> Option<(V, bool)> {
        if let Some(v) = fresh {
            self.last = Some((key.clone(), v.clone()));
            return Some((v, false));
        }
        self.last.as_ref().map(|(k, v)| (v.clone(), k != key))
    }

    /// The last fresh value, when it is `key`'s.
    pub fn of(&self, key: &K) -> Option<&V> {
        self.last.as_ref().filter(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// What a page shows for the link's parameters `key`: the run the source
/// has for it (remembered in `keep`), else the previous run that fits the
/// source's `stand_in`, stale, else loading. Only a run that started (not a
/// refusal) stands in.
pub fn shown_of<K: PartialEq + Clone, R>(
    keep: &mut Keep<K, (RunResult<R>, &'static str)>,
    key: &K,
    page_run: Option<RunResult<R>>,
    source: RunSource<R>,
) -> Shown<R> {
    let (run, for_link, from, stand_in) = match (page_run, source) {
        (Some(run), RunSource::Page | RunSource::Elsewhere { .. }) => (Some(run), true, "page", None),
        // A page source always has its run; nothing to keep or wait for.
        (None, RunSource::Page) => (None, true, "page", None),
        (None, RunSource::Elsewhere { run, for_link, from, stand_in }) => (run, for_link, from, stand_in),
    };
    match (run, for_link) {
        (Some(run), false) => Shown::Run { run, stale: true, from },
        (Some(run), true) => {
            if run.is_ok() {
                keep.show(key, Some((run.clone(), from)));
            }
            Shown::Run { run, stale: false, from }
        }
        (None, _) => match (keep.show(key, None), stand_in) {
            (Some(((run, from), stale)), Some(fits)) if run.as_ref().as_ref().is_ok_and(fits) => {
                Shown::Run { run, stale, from }
            }
            (Some(_) | None, _) => Shown::Loading,
        },
    }
}

/// Props of [`Busy`].
#[derive(Properties, PartialEq, Clone)]
pub struct BusyProps {
    /// The box's classes besides `busy`.
    #[prop_or_default]
    pub class: Classes,
    /// The run shown is the previous one.
    pub stale: bool,
    /// Marked stale for another reason (the compare view's previous figures), without the busy note.
    #[prop_or_default]
    pub previous: bool,
    /// What is inside.
    pub children: Html,
}

/// The one "previous run, still computing" box: while `stale`, it is
/// `aria-busy`, and a note says the evidence is of the previous knobs (shown
/// only if the worker takes a while: the style sheet waits 0.15 s, so a drag
/// does not flicker).
#[component]
pub fn Busy(p: &BusyProps) -> Html {
    let marked = p.stale || p.previous;
    html! {
        <div class={classes!(p.class.clone(), p.previous.then_some("stale"), p.stale.then_some("busy"))}
             data-stale={marked.to_string()} aria-busy={p.stale.then_some("true")}>
            if p.stale {
                <p class="busy-note" role="status">{ "Evidence for the previous knobs: the run of your change is still computing in a Web Worker." }</p>
            }
            { p.children.clone() }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Kept = Keep<u32, (RunResult<u32>, &'static str)>;

    fn ok(v: u32) -> RunResult<u32> {
        Rc::new(Ok(v))
    }

    fn worker(run: Option<RunResult<u32>>, stand_in: Option<fn(&u32) -> bool>) -> RunSource<u32> {
        RunSource::Elsewhere { run, for_link: true, from: "worker", stand_in }
    }

    fn said(s: &Shown<u32>) -> Option<(u32, bool, &'static str)> {
        match s {
            Shown::Loading => None,
            Shown::Run { run, stale, from } => Some((*run.as_ref().as_ref().unwrap(), *stale, from)),
        }
    }

    const ANY: Option<fn(&u32) -> bool> = Some(|_| true);

    #[test]
    fn the_previous_run_stays_marked_stale_until_the_new_one_arrives() {
        let mut keep = Kept::default();
        assert_eq!(said(&shown_of(&mut keep, &1, Some(ok(10)), RunSource::Page)), Some((10, false, "page")));
        let waiting = shown_of(&mut keep, &2, None, worker(None, ANY));
        assert_eq!(said(&waiting), Some((10, true, "page")), "the page's run stands in for the worker's");
        assert!(waiting.stale());
        assert_eq!(said(&shown_of(&mut keep, &2, None, worker(Some(ok(20)), ANY))), Some((20, false, "worker")));
        assert_eq!(said(&shown_of(&mut keep, &2, None, worker(None, ANY))), Some((20, false, "worker")));
    }

    #[test]
    fn with_nothing_to_keep_the_page_is_loading_not_in_error() {
        let mut keep = Kept::default();
        assert!(matches!(shown_of(&mut keep, &1, None, worker(None, ANY)), Shown::Loading));
        // A refusal is shown, but never stands in for a later run.
        let refused: RunResult<u32> = Rc::new(Err(SimError::Internal("refused")));
        let s = shown_of(&mut keep, &1, None, worker(Some(refused), ANY));
        assert!(s.run().is_some_and(|r| r.is_err()) && !s.stale());
        assert!(matches!(shown_of(&mut keep, &2, None, worker(None, ANY)), Shown::Loading));
    }

    #[test]
    fn only_a_run_the_source_accepts_stands_in() {
        let mut keep = Kept::default();
        shown_of(&mut keep, &1, Some(ok(7)), RunSource::Page);
        let even: Option<fn(&u32) -> bool> = Some(|v| v % 2 == 0);
        assert!(matches!(shown_of(&mut keep, &2, None, worker(None, even)), Shown::Loading));
        assert!(matches!(shown_of(&mut keep, &2, None, worker(None, None)), Shown::Loading), "no stand-in at all");
        assert_eq!(said(&shown_of(&mut keep, &2, None, worker(None, ANY))), Some((7, true, "page")));
    }

    #[test]
    fn a_run_of_earlier_parameters_is_shown_stale_and_not_kept_as_the_links() {
        let mut keep = Kept::default();
        let earlier = RunSource::Elsewhere { run: Some(ok(5)), for_link: false, from: "handler", stand_in: ANY };
        assert_eq!(said(&shown_of(&mut keep, &3, None, earlier)), Some((5, true, "handler")));
        assert!(keep.of(&3).is_none());
    }
}
