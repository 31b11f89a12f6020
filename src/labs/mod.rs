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
    };
}
idemlab_sim::with_labs!(page_router);

/// The component for `area`, given the permalink state.
pub fn render(area: Area, query: Query, on_query: Callback<Query>) -> Html {
    struct Render(LabProps);
    impl PageVisitor for Render {
        type Out = Html;
        fn page<P: LabPage>(self) -> Html {
            P::page(self.0)
        }
    }
    let props = LabProps { query, on_query };
    // A guided lesson is a route under Recall: `?area=recall&lesson=<id>`.
    // Learn, the lessons as a path, is a view under Recall: `?area=recall&learn=1`.
    let recall = |props: LabProps| match (props.query.get("lesson"), props.query.get("learn")) {
        (Some(_), _) => html! { <lessons::LessonPage ..props /> },
        (None, Some(_)) => html! { <learn::LearnPage ..props /> },
        (None, None) => html! { <recall::Recall ..props /> },
    };
    match area {
        Area::Recall => recall(props),
        lab => visit_page(lab, Render(props.clone())).unwrap_or_else(|| recall(props)),
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
