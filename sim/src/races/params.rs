//! The Races lab's parameters: the scenario is its one knob (a choice built
//! from [`SCENARIO_IDS`]); the schedule, the page's mode, the learner's own
//! handler text (with its lane count) and the scenario shown beside it travel
//! as the lab's extra permalink keys, because a schedule belongs to its
//! scenario and none of them is a number.

use crate::knob::{Group, Knob, KnobKind, Params, Unit};
use crate::permalink::{clip, Query};
use crate::races::{ACTORS_MAX, HANDLER_LANES_MAX, SCENARIO_IDS, STEPS_MAX};

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

/// Short button titles by scenario id; a scenario missing here shows its id.
const SHORT_TITLES: [(&str, &str); 8] = [
    ("select-then-insert", "SELECT then INSERT"),
    ("unique-charge-first", "Unique index, charge first"),
    ("for-update", "FOR UPDATE"),
    ("on-conflict", "ON CONFLICT (fix)"),
    ("serializable", "SERIALIZABLE"),
    ("advisory-lock", "Advisory lock"),
    ("volatile-store", "Volatile key store"),
    ("durable-store", "Durable key store"),
];

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
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

/// The short title of scenario `id` (its id when it has none).
pub const fn short_title(id: &'static str) -> &'static str {
    let mut i = 0;
    while i < SHORT_TITLES.len() {
        if same(SHORT_TITLES[i].0, id) {
            return SHORT_TITLES[i].1;
        }
        i += 1;
    }
    id
}

const fn scenario_choices() -> [(&'static str, &'static str); SCENARIO_IDS.len()] {
    let mut out = [("", ""); SCENARIO_IDS.len()];
    let mut i = 0;
    while i < SCENARIO_IDS.len() {
        out[i] = (SCENARIO_IDS[i], short_title(SCENARIO_IDS[i]));
        i += 1;
    }
    out
}

/// `(id, short title)` of every scenario, in teaching order: the scenario knob's choices.
pub static SCENARIO_CHOICES: [(&str, &str); SCENARIO_IDS.len()] = scenario_choices();

/// What a Races run is: a scenario, the schedule that drives it, and whether
/// the run is completed (step through, side by side) or stops where the
/// schedule stops (the learner playing scheduler).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RacesParams {
    /// The scenario's index in [`SCENARIO_IDS`].
    pub scenario: usize,
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
    pub against: Option<usize>,
}

impl RacesParams {
    /// The scenario's id.
    pub fn scenario_id(&self) -> &'static str {
        SCENARIO_IDS.get(self.scenario).copied().unwrap_or(SCENARIO_IDS[0])
    }

    /// Whether the run is completed past the end of the schedule.
    pub fn complete(&self) -> bool {
        match self.mode {
            Mode::Step | Mode::Side => true,
            Mode::Scheduler => false,
        }
    }

    /// The index of the scenario side-by-side mode shows beside the run.
    pub fn against_index(&self, twin: &str) -> usize {
        match (self.against, &self.handler) {
            (Some(i), _) => i,
            (None, Some(_)) => self.scenario,
            (None, None) => SCENARIO_IDS.iter().position(|id| *id == twin).unwrap_or(0),
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

static KNOBS: [Knob<RacesParams>; 1] = [Knob {
    key: "scenario",
    flag: "scenario",
    label: "Scenario",
    unit: Unit::Count,
    kind: KnobKind::Choice(&SCENARIO_CHOICES),
    default: 0,
    group: Group::Main,
    help: "Which handler the two requests run.",
    get: |p| p.scenario as u64,
    // A schedule belongs to its scenario: choosing another one drops it.
    set: |p, v| {
        if p.scenario != v as usize {
            p.schedule.clear();
        }
        p.scenario = v as usize;
    },
}];

impl Params for RacesParams {
    fn knobs() -> &'static [Knob<Self>] {
        &KNOBS
    }

    fn base() -> Self {
        RacesParams { scenario: 0, schedule: Vec::new(), mode: Mode::Step, handler: None, lanes: 2, against: None }
    }
}

/// Reads the schedule, mode, handler, lanes and the side-by-side scenario
/// from a link, with a warning for a bad value.
pub fn read_extra(q: &mut Query, p: &mut RacesParams) {
    p.schedule = q.int_list("schedule", 1, ACTORS_MAX as i64, STEPS_MAX).into_iter().map(|v| v as u8).collect();
    if let Some(raw) = q.get("mode").map(str::to_string) {
        match Mode::from_slug(&raw) {
            Some(m) => p.mode = m,
            None => {
                let names: Vec<&str> = Mode::CHOICES.iter().map(|(s, _)| *s).collect();
                q.warnings.push(format!("mode={:?} is not one of {}; using step.", clip(&raw), names.join(", ")));
            }
        }
    }
    // The text is kept as given, empty too: what is wrong with it is the parser's
    // to say (an empty editor is refused as empty, not replaced by the scenario).
    p.handler = q.get("handler").map(str::to_string);
    p.lanes = q.int("lanes", 2, 2, HANDLER_LANES_MAX as i64) as u8;
    if let Some(raw) = q.get("against").map(str::to_string) {
        match SCENARIO_IDS.iter().position(|id| *id == raw) {
            Some(i) => p.against = Some(i),
            None => q.warnings.push(format!(
                "against={:?} is not a scenario ({}); showing the default beside it.",
                clip(&raw),
                SCENARIO_IDS.join(", ")
            )),
        }
    }
}

/// Writes the schedule and mode into a link; the defaults are left out.
pub fn write_extra(q: &mut Query, p: &RacesParams) {
    if p.schedule.is_empty() {
        q.remove("schedule");
    } else {
        q.set("schedule", p.schedule_text());
    }
    match p.mode {
        Mode::Step => q.remove("mode"),
        Mode::Scheduler | Mode::Side => q.set("mode", p.mode.slug()),
    }
    match &p.handler {
        Some(text) => q.set("handler", text),
        None => q.remove("handler"),
    }
    if p.lanes == 2 {
        q.remove("lanes");
    } else {
        q.set("lanes", p.lanes);
    }
    match p.against.and_then(|i| SCENARIO_IDS.get(i)) {
        Some(id) => q.set("against", id),
        None => q.remove("against"),
    }
}
