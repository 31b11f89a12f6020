//! When an embed shows the answer. Inside a course page the learner should
//! predict before the counters say what happened, so in an embed the
//! evidence and the `outcome` message wait until the step-through reaches the
//! step where the outcome happens (the lab's decisive step, by default the
//! last), until the learner presses "Reveal the outcome", or until the author
//! asked for them up front with `reveal=1`. Outside an embed nothing waits,
//! except for a prediction: while a predict-first question of the run is
//! unanswered (switch on), the evidence stays covered on every page, since
//! its counters would answer it, and no button uncovers it but the answer.

use yew::prelude::*;

/// What the app knows about the frame, for every page (a context the app provides).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Frame {
    /// The page is an embed (`embed=1`).
    pub embed: bool,
    /// The author asked for the outcome from the start (`reveal=1`).
    pub reveal: bool,
}

/// The outcome gate of one render of a lab, from [`super::LabCtx::gate`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Gate {
    /// The page is an embed.
    pub embed: bool,
    /// The author asked for the outcome from the start (`reveal=1`).
    pub up_front: bool,
    /// The step-through's cursor.
    pub step: usize,
    /// The step the outcome waits for; `None` when the lab has no
    /// step-through (then only the button or `reveal=1` shows it).
    pub decisive: Option<usize>,
    /// The lab's slug, for the message.
    pub area: &'static str,
    /// The `outcome` message's detail, when the run finished.
    pub outcome: Option<serde_json::Value>,
    /// The step whose predict-first question is still unanswered (the
    /// evidence would answer it), when there is one.
    pub asks: Option<usize>,
}

impl Gate {
    /// Whether the cursor reached the step where the outcome happens.
    pub fn reached(&self) -> bool {
        self.decisive.is_some_and(|d| self.step >= d)
    }

    /// Whether the outcome is hidden until the learner asks for it.
    pub fn hidden(&self) -> bool {
        self.asks.is_some() || (self.embed && !self.up_front && !self.reached())
    }

    /// Whether the lab hook posts the outcome itself (no wait applies), so
    /// the layout must not post it a second time.
    pub fn posted_by_hook(&self) -> bool {
        !self.embed || self.up_front
    }
}

/// The step the outcome waits for: the lab's decisive step, or the last,
/// never past the last.
pub fn decisive_of(steps: usize, decisive_step: Option<usize>) -> usize {
    decisive_step.unwrap_or(steps).min(steps)
}

/// Props of [`HiddenOutcome`].
#[derive(Properties, PartialEq, Clone)]
pub struct HiddenOutcomeProps {
    /// The step the outcome waits for, when there is one.
    pub decisive: Option<usize>,
    /// Shows the outcome.
    pub on_reveal: Callback<MouseEvent>,
    /// The step whose prediction is unanswered: then only the answer uncovers it.
    #[prop_or_default]
    pub asks: Option<usize>,
}

/// Stands where the evidence will be: says what it waits for, and offers to show it now.
#[component]
pub fn HiddenOutcome(p: &HiddenOutcomeProps) -> Html {
    if let Some(d) = p.asks {
        return html! {
            <section class="outcome-hidden" aria-label="Outcome hidden" data-asks={d.to_string()}>
                <p>{ format!("The evidence is covered until the prediction before step {d} is answered: its counters would give the answer away. (Switching predict-first off uncovers it too.)") }</p>
            </section>
        };
    }
    let why = match p.decisive {
        Some(d) => format!(
            "The outcome is hidden until you reach step {d}. Predict what the counters will say, then step on, or reveal it now."
        ),
        None => "The outcome is hidden so you can predict it first. Predict what the counters will say, then reveal it."
            .to_string(),
    };
    html! {
        <section class="outcome-hidden" aria-label="Outcome hidden">
            <p>{ why }</p>
            <button type="button" class="reveal-outcome" onclick={p.on_reveal.clone()}>{ "Reveal the outcome" }</button>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(embed: bool, up_front: bool, step: usize, decisive: Option<usize>) -> Gate {
        Gate { embed, up_front, step, decisive, area: "keys", outcome: None, asks: None }
    }

    #[test]
    fn an_embed_hides_the_outcome_until_the_decisive_step_and_shows_it_from_there() {
        assert!(gate(true, false, 0, Some(5)).hidden());
        assert!(gate(true, false, 4, Some(5)).hidden());
        assert!(!gate(true, false, 5, Some(5)).hidden());
        assert!(!gate(true, false, 9, Some(5)).hidden());
    }

    #[test]
    fn reveal_one_or_a_page_outside_an_embed_shows_the_outcome_at_once() {
        assert!(!gate(true, true, 0, Some(5)).hidden());
        assert!(!gate(false, false, 0, Some(5)).hidden());
        assert!(gate(true, true, 0, None).posted_by_hook() && gate(false, false, 0, None).posted_by_hook());
        assert!(!gate(true, false, 0, None).posted_by_hook());
    }

    #[test]
    fn an_unanswered_prediction_covers_the_evidence_outside_an_embed_too() {
        let mut g = gate(false, false, 9, Some(5));
        g.asks = Some(5);
        assert!(g.hidden());
        g.embed = true;
        g.up_front = true;
        assert!(g.hidden(), "reveal=1 shows the outcome up front, not the answer to a question");
    }

    #[test]
    fn a_lab_without_a_step_through_waits_for_the_button_in_an_embed() {
        assert!(gate(true, false, 1_000, None).hidden());
    }

    #[test]
    fn the_decisive_step_defaults_to_the_last_and_never_passes_it() {
        assert_eq!(decisive_of(12, None), 12);
        assert_eq!(decisive_of(12, Some(4)), 4);
        assert_eq!(decisive_of(12, Some(40)), 12);
    }
}
