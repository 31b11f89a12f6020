//! One module per area. The router is generated from the core's lab
//! registry (`idemlab_sim::with_labs!`): each lab's page module implements
//! [`LabPage`] for its engine, and [`visit_page`] reaches it by area, so no
//! list of labs is written here.

use crate::query::{Area, Query};
use crate::shell::LabProps;
use idemlab_sim::lab::Lab;
use yew::prelude::*;

pub mod about;
pub mod keys;
pub mod learn;
pub mod lessons;
pub mod outbox;
pub mod races;
pub mod recall;
pub mod retries;

/// The one area this page build draws, when it was built for one
/// (`IDEMLAB_AREA=<slug>` at build time, as `scripts/build-areas.mjs` does):
/// the other areas' pages are then left out of its wasm, so a first visit
/// downloads one lab, not five (issue 27). Unset, as in Trunk's build and
/// every test build, the page draws every area.
const ONLY: Option<&str> = option_env!("IDEMLAB_AREA");

/// Whether this page build draws the area `slug`.
pub const fn built(slug: &str) -> bool {
    let Some(only) = ONLY else { return true };
    let (a, b) = (only.as_bytes(), slug.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether this page build draws `query`'s page: its area is built here, and
/// a guided lesson (`?area=recall&lesson=…`), which shows every lab's page,
/// only in the build of every area (the boot script loads that one for a
/// link with `lesson=`).
pub fn drawn_here(area: Area, query: &Query) -> bool {
    built(area.slug()) && (ONLY.is_none() || area != Area::Recall || query.get("lesson").is_none())
}

/// A lab's page: the face of one engine in the registry.
pub trait LabPage: Lab + Sized + 'static {
    /// Whether the page asks for a prediction before its decisive steps,
    /// so an author may lock predict-first on (`predict=1&lock=predict`).
    const PREDICTS_FIRST: bool;
    /// What the lab shows, in one line (About's list of the labs).
    const SUMMARY: &'static str;
    /// Knobs the page's preset links carry over (the Retries view).
    const PRESET_KEEPS: &'static [&'static str] = &[];
    /// The link after `action`, `None` when a lock refuses it: the shell's
    /// `apply`, unless the page keeps more across a preset.
    fn next_link(q: &Query, action: &crate::shell::LabAction) -> Option<Query> {
        crate::shell::apply::<Self>(q, action)
    }
    /// The step a newcomer's link opens at (the home page's symptoms): the
    /// step of the run's first predict-first question, where the gate holds
    /// the screen just before it with the prompt up, or the step before the
    /// failure; 0 (the start) where the lab names neither.
    fn landing_step(_params: &Self::Params) -> usize {
        0
    }
    /// The page's component.
    fn page(props: LabProps) -> Html;
}

/// Something done with one lab's page type, chosen by area ([`visit_page`]).
pub trait PageVisitor {
    /// What the visit gives back.
    type Out;
    /// Does the work for page `P`.
    fn page<P: LabPage>(self) -> Self::Out;
}

macro_rules! page_router {
    ($($var:ident $slug:literal $title:literal $ty:path [$($alias:literal),*],)*) => {
        /// Runs `v` with `area`'s page type; `None` for Recall, which is no lab.
        pub fn visit_page<V: PageVisitor>(area: Area, v: V) -> Option<V::Out> {
            match area {
                $(Area::$var => Some(v.page::<$ty>()),)*
                Area::Recall => None,
            }
        }

        /// Draws `area`'s lab page when this build has it ([`built`]): the
        /// only place a page's component is reached, so a build for one area
        /// carries no other lab's page.
        fn render_lab(area: Area, props: LabProps) -> Option<Html> {
            match area {
                $(Area::$var => if const { built($slug) } { Some(<$ty as LabPage>::page(props)) } else { None },)*
                Area::Recall => None,
            }
        }
    };
}
idemlab_sim::with_labs!(page_router);

/// The component for `area`, given the permalink state.
pub fn render(area: Area, query: Query, on_query: Callback<Query>) -> Html {
    let props = LabProps { query, on_query };
    // A guided lesson is a route under Recall: `?area=recall&lesson=<id>`.
    // Learn, the lessons as a path, is a view under Recall: `?area=recall&learn=1`.
    let recall = |props: LabProps| match (props.query.get("lesson"), props.query.get("learn")) {
        _ if !const { built("recall") } => html! {},
        (Some(_), _) if const { ONLY.is_some() } => html! {},
        (Some(_), _) => html! { <lessons::LessonPage ..props /> },
        (None, Some(_)) => html! { <learn::LearnPage ..props /> },
        (None, None) => html! { <recall::Recall ..props /> },
    };
    match area {
        Area::Recall => recall(props),
        // The shell never asks for an area this build left out (`App` loads its page).
        lab => render_lab(lab, props).unwrap_or_default(),
    }
}

/// What `area`'s lab shows, in one line (empty for Recall).
pub fn summary(area: Area) -> &'static str {
    struct Summary;
    impl PageVisitor for Summary {
        type Out = &'static str;
        fn page<P: LabPage>(self) -> &'static str {
            P::SUMMARY
        }
    }
    visit_page(area, Summary).unwrap_or("")
}

/// Whether `area`'s page asks for a prediction before its decisive steps.
pub fn predicts_first(area: Area) -> bool {
    struct Predicts;
    impl PageVisitor for Predicts {
        type Out = bool;
        fn page<P: LabPage>(self) -> bool {
            P::PREDICTS_FIRST
        }
    }
    visit_page(area, Predicts).unwrap_or(false)
}
