//! The Races lab's parameters, declared once: the scenario, the page's
//! mode, the lanes a learner's handler runs in and the scenario shown beside
//! the run are knobs; the schedule and the learner's handler text are
//! fields (a list and a text). The permalink, `idemlab url`, the page's
//! controls and the lock names read them from here.

use crate::knob::{Field, FieldKind, FieldValue, Knob, Params, Unit};
use crate::races::{ScenarioId, ACTORS_MAX, HANDLER_LANES_MAX, HANDLER_LANES_MIN, SCENARIO_COUNT, STEPS_MAX};

crate::choice_enum! {
    /// How the page drives the run.
    pub enum Mode {
        /// Step through a complete schedule.
        Step = ("step", "Step through"),
        /// The learner builds the schedule one step at a time; the run is the schedule so far.
        Scheduler = ("scheduler", "Play scheduler"),
        /// The scenario beside its twin, driven by the same schedule.
        Side = ("side", "Side by side"),
    }
}

/// The `against=` knob's choices: the default ("twin": the scenario's twin,
/// or for a handler the scenario it was written from), then every scenario.
static AGAINST_CHOICES: [(&str, &str); SCENARIO_COUNT + 1] = {
    let mut out = [("twin", "Its twin"); SCENARIO_COUNT + 1];
    let mut i = 0;
    while i < SCENARIO_COUNT {
        out[i + 1] = ScenarioId::CHOICES[i];
        i += 1;
    }
    out
};

/// What a Races run is: a scenario, the schedule that drives it, and whether
/// the run is completed (step through, side by side) or stops where the
/// schedule stops (the learner playing scheduler).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RacesParams {
    /// The scenario.
    pub scenario: ScenarioId,
    /// The schedule, 1-based actor numbers; empty means the scenario's default
    /// (its first counterexample, else its first schedule).
    pub schedule: Vec<u8>,
    /// How the page drives the run.
    pub mode: Mode,
    /// The learner's handler text (`handler=`), run instead of the scenario when present.
    pub handler: Option<String>,
    /// How many requests run the handler (`lanes=`, 2 or 3; a text with LANE sections sets its own).
    pub lanes: u8,
    /// The shipped scenario shown beside the run in side-by-side mode (`against=`);
    /// `None` is the scenario's twin, or for a handler the scenario it was written from.
    pub against: Option<ScenarioId>,
}

impl RacesParams {
    /// The scenario's id.
    pub fn scenario_id(&self) -> &'static str {
        self.scenario.slug()
    }

    /// Whether the run is completed past the end of the schedule.
    pub fn complete(&self) -> bool {
        match self.mode {
            Mode::Step | Mode::Side => true,
            Mode::Scheduler => false,
        }
    }

    /// The scenario side-by-side mode shows beside the run, given the
    /// run's scenario's `twin`.
    pub fn against_id(&self, twin: &str) -> ScenarioId {
        match (self.against, &self.handler) {
            (Some(id), _) => id,
            (None, Some(_)) => self.scenario,
            (None, None) => ScenarioId::from_slug(twin).unwrap_or(ScenarioId::ALL[0]),
        }
    }

    /// The schedule as a permalink writes it (`1,1,2`).
    pub fn schedule_text(&self) -> String {
        join(&self.schedule)
    }
}

/// A schedule as a permalink writes it.
pub fn join(schedule: &[u8]) -> String {
    schedule.iter().map(u8::to_string).collect::<Vec<_>>().join(",")
}

/// A schedule in words, for a link that shows it: each run of steps by one
/// transaction, in order ("T1 takes 3 steps, then T2 1, then T1 1, then T2
/// 3"), so a screen reader says who goes when instead of a list of digits.
pub fn schedule_words(schedule: &[u8]) -> String {
    let mut runs: Vec<(u8, usize)> = Vec::new();
    for &t in schedule {
        match runs.last_mut() {
            Some((who, n)) if *who == t => *n += 1,
            _ => runs.push((t, 1)),
        }
    }
    let mut out = String::new();
    for (i, (who, n)) in runs.iter().enumerate() {
        let unit = match (i, *n) {
            (0, 1) => " step",
            (0, _) => " steps",
            _ => "",
        };
        let sep = if i == 0 { "" } else { ", then " };
        out.push_str(&format!("{sep}T{who} {verb}{n}{unit}", verb = if i == 0 { "takes " } else { "" }));
    }
    if out.is_empty() {
        "no step yet".to_string()
    } else {
        out
    }
}

static KNOBS: [Knob<RacesParams>; 4] = [
    Knob::choice(
        "scenario",
        "scenario",
        "Scenario",
        ScenarioId::CHOICES,
        0,
        "Which handler the requests run.",
        |p| p.scenario.index() as u64,
        // A schedule belongs to its scenario: choosing another one drops it.
        |p, v| {
            let id = ScenarioId::from_index(v);
            if p.scenario != id {
                p.schedule.clear();
            }
            p.scenario = id;
        },
    ),
    Knob::choice(
        "mode",
        "mode",
        "The mode tabs",
        Mode::CHOICES,
        0,
        "How the page drives the run: a complete schedule stepped through, the learner as the scheduler, or the scenario beside another.",
        |p| p.mode.index() as u64,
        |p, v| p.mode = Mode::from_index(v),
    ),
    Knob::count(
        "lanes",
        "lanes",
        "Requests running the handler",
        Unit::Count,
        (HANDLER_LANES_MIN as u64, HANDLER_LANES_MAX as u64, 1),
        HANDLER_LANES_MIN as u64,
        "How many requests run a learner's handler at once (a text with LANE sections sets its own).",
        |p| u64::from(p.lanes),
        |p, v| p.lanes = v as u8,
    ),
    Knob::choice(
        "against",
        "against",
        "The scenario shown beside the run (side by side)",
        &AGAINST_CHOICES,
        0,
        "The scenario side by side shows beside the run: its twin by default, or for a handler the scenario it was written from.",
        |p| p.against.map_or(0, |id| id.index() as u64 + 1),
        |p, v| p.against = v.checked_sub(1).map(ScenarioId::from_index),
    ),
];

static FIELDS: [Field<RacesParams>; 2] = [
    Field {
        key: "schedule",
        label: "the schedule (which request steps when)",
        kind: FieldKind::List { min: 1, max: ACTORS_MAX as u64, len_max: STEPS_MAX },
        get: |p| (!p.schedule.is_empty()).then(|| FieldValue::List(p.schedule.iter().map(|&a| u64::from(a)).collect())),
        set: |p, v| {
            p.schedule = match v {
                Some(FieldValue::List(list)) => list.into_iter().map(|a| a as u8).collect(),
                Some(FieldValue::Text(_)) | None => Vec::new(),
            }
        },
    },
    Field {
        key: "handler",
        label: "the handler editor's text",
        kind: FieldKind::Text,
        get: |p| p.handler.clone().map(FieldValue::Text),
        set: |p, v| {
            p.handler = match v {
                Some(FieldValue::Text(text)) => Some(text),
                Some(FieldValue::List(_)) | None => None,
            }
        },
    },
];

impl Params for RacesParams {
    fn knobs() -> &'static [Knob<Self>] {
        &KNOBS
    }

    fn fields() -> &'static [Field<Self>] {
        &FIELDS
    }

    fn base() -> Self {
        RacesParams {
            scenario: ScenarioId::ALL[0],
            schedule: Vec::new(),
            mode: Mode::Step,
            handler: None,
            lanes: HANDLER_LANES_MIN,
            against: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::schedule_words;

    #[test]
    fn a_schedule_reads_as_who_takes_how_many_steps_in_turn() {
        assert_eq!(schedule_words(&[1, 1, 1, 2, 1, 2, 2, 2]), "T1 takes 3 steps, then T2 1, then T1 1, then T2 3");
        assert_eq!(schedule_words(&[2]), "T2 takes 1 step");
        assert_eq!(schedule_words(&[]), "no step yet");
    }
}
