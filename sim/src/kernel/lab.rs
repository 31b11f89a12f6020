//! The engine contract every lab follows, and the one way a permalink or a
//! command line becomes a run.
//!
//! A lab names its [`Params`] (the knob schema), its presets, how to run
//! (validated parameters, the seed among them, under [`crate::sched::RunLimits`]),
//! its counters and its trace hash. The web app, `idemlab url` and the
//! tests all go through [`read_link`] and [`Lab::run`], so the same link gives
//! the same run, the same counters and the same trace hash everywhere.

use crate::error::SimError;
use crate::knob::{self, KnobJson, Params};
use crate::permalink::{clip, Query};
use serde::Serialize;

/// A named teaching setup: a lesson in one line and the knobs it sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preset {
    /// The `preset=` value and the CLI's `--preset` name.
    pub slug: &'static str,
    /// The preset's full name (the lesson line's heading, the CLI's list).
    pub title: &'static str,
    /// The chip's short words, true to `title` (which the chip gives as its
    /// description), so a lab's chips fit two rows at 1280 px.
    pub chip: &'static str,
    /// What it shows, in one sentence.
    pub lesson: &'static str,
    /// Whether it demonstrates a bug (shown with a cross).
    pub buggy: bool,
    /// The counter that proves the lesson (starred on screen).
    pub key_counter: &'static str,
    /// The knobs it sets, as `(permalink key, value)`, over the schema's defaults.
    pub knobs: &'static [(&'static str, &'static str)],
}

/// One modelling choice a lab makes, the reference it follows, and what it
/// simplifies: a row of the lab's Sources panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Source {
    /// What the lab does, in one sentence.
    pub choice: &'static str,
    /// The reference it follows, named precisely (a draft's section, a doc, an article).
    pub reference: &'static str,
    /// What the lab leaves out or changes on purpose, if anything.
    pub simplification: Option<&'static str>,
}

/// How a counter reads: numbers stay numbers until the edge formats them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Figure {
    /// A count of things.
    Count(u64),
    /// A share from 0 to 1 (shown as a percentage).
    Share(f64),
    /// Simulated milliseconds.
    Ms(f64),
    /// A ratio such as an amplification factor.
    Ratio(f64),
}

impl Figure {
    /// The figure as a learner reads it.
    pub fn human(self) -> String {
        match self {
            Figure::Count(n) => n.to_string(),
            Figure::Share(x) => format!("{:.1} %", x * 100.0),
            Figure::Ms(x) => format!("{x:.0} ms"),
            Figure::Ratio(x) => format!("{x:.2}×"),
        }
    }

    /// The figure as a plain number for CSV (shares as fractions).
    pub fn plain(self) -> String {
        match self {
            Figure::Count(n) => n.to_string(),
            Figure::Share(x) | Figure::Ms(x) | Figure::Ratio(x) => format!("{x}"),
        }
    }

    /// The unit named in a CSV header.
    pub fn unit(self) -> &'static str {
        match self {
            Figure::Count(_) => "count",
            Figure::Share(_) => "fraction",
            Figure::Ms(_) => "ms",
            Figure::Ratio(_) => "ratio",
        }
    }
}

/// One evidence counter of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Counter {
    /// Stable id (JSON key, `data-counter`, CSV column).
    pub id: &'static str,
    /// The label on screen.
    pub label: &'static str,
    /// The value.
    pub value: Figure,
    /// Whether this value shows something went wrong.
    pub bad: bool,
}

impl Counter {
    /// A counter that is never marked bad.
    pub fn new(id: &'static str, label: &'static str, value: Figure) -> Counter {
        Counter { id, label, value, bad: false }
    }

    /// Marks the counter bad when `cond` holds.
    pub fn bad_if(mut self, cond: bool) -> Counter {
        self.bad = cond;
        self
    }
}

/// A lab's name in the registry (`crate::labs`), which implements this for
/// every engine from its one line there: the kernel knows no lab by name.
pub trait Registered {
    /// The lab's `area=` slug, CLI subcommand and JSON `lab` name.
    const SLUG: &'static str;
}

/// The engine contract. Only an engine in the registry is a lab.
pub trait Lab: Registered {
    /// The engine's parameters, with their schema.
    type Params: Params;
    /// A finished run.
    type Run;
    /// Permalink keys the page keeps besides the parameters' knobs and
    /// fields (a recorded prediction); the engine never reads them.
    const EXTRA_KEYS: &'static [&'static str] = &[];
    /// Permalink keys the lab has renamed, as `(old, new)`: a link with the
    /// old key still works, read as the new one with a warning, and the
    /// command line takes the old flag too. (`mode` means the page's mode in
    /// every lab; Outbox's design was `mode=` before it was `design=`.)
    const RENAMED_KEYS: &'static [(&'static str, &'static str)] = &[];
    /// Every preset, the first being the default setup.
    fn presets() -> &'static [Preset];

    /// Runs the engine on validated parameters. Every run is bounded by the
    /// engine's limits, and exceeding one is an error value.
    fn run(params: &Self::Params) -> Result<Self::Run, SimError>;

    /// The evidence counters of a run, in display order.
    fn counters(run: &Self::Run) -> Vec<Counter>;

    /// The stable hash of the run's trace.
    fn trace_hash(run: &Self::Run) -> u64;

    /// The modelling choices the lab makes, each with its source (the
    /// Sources panel on the page).
    fn sources() -> &'static [Source] {
        &[]
    }

    /// The preset called `slug`.
    fn preset(slug: &str) -> Option<&'static Preset> {
        Self::presets().iter().find(|p| p.slug == slug)
    }

    /// The parameters of a preset: the schema's defaults, then its knobs.
    fn preset_params(preset: &Preset) -> Self::Params {
        let mut p = Self::Params::defaults();
        // Presets are checked by a test; a bad one would show as its knobs' defaults.
        let _ = knob::apply_strict(&mut p, preset.knobs);
        p
    }
}

/// What a link asked for, read leniently: the preset (if any), the
/// parameters, and the warnings a learner or course author should see.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkRead<P> {
    /// The preset named by `preset=`, when it exists.
    pub preset: Option<&'static Preset>,
    /// The parameters: the preset's (or the defaults), then every knob the link sets.
    pub params: P,
}

/// Reads a lab's preset and knobs from a permalink. An unknown preset or a
/// bad value adds a warning to `q` and falls back, so a link never fails.
pub fn read_link<L: Lab>(q: &mut Query) -> LinkRead<L::Params> {
    upgrade_renamed_keys::<L>(q);
    let preset = match q.get("preset").map(str::to_string) {
        None => None,
        Some(s) => match L::preset(&s) {
            Some(p) => Some(p),
            None => {
                let names: Vec<&str> = L::presets().iter().map(|p| p.slug).collect();
                q.warnings.push(format!(
                    "preset={:?} is not a preset of this lab (it has {}); showing the default setup instead.",
                    clip(&s),
                    names.join(", ")
                ));
                None
            }
        },
    };
    let mut params = match preset {
        Some(pr) => L::preset_params(pr),
        None => L::Params::defaults(),
    };
    for k in L::Params::knobs() {
        let Some(raw) = q.get(k.key).map(str::to_string) else { continue };
        let before = (k.get)(&params);
        let (v, warning) = k.parse_lenient(&raw, before);
        if let Some(w) = warning {
            q.warnings.push(w);
        }
        (k.set)(&mut params, v);
        // A value that breaks a relation between knobs (a cap below its
        // base) is undone, with a warning naming it.
        if let Err(e) = params.validate_relations() {
            (k.set)(&mut params, before);
            q.warnings.push(format!(
                "{}={} does not fit the other settings ({e}); using {}.",
                k.key,
                clip(&raw),
                k.show(before)
            ));
        }
    }
    for f in L::Params::fields() {
        f.read(q, &mut params);
    }
    LinkRead { preset, params }
}

/// Writes a preset, every knob and every field into `q`, so a preset link
/// is also a plain link (a field at its default is left out).
pub fn write_link<P: Params>(q: &mut Query, preset: Option<&Preset>, params: &P) {
    match preset {
        Some(pr) => q.set("preset", pr.slug),
        None => q.remove("preset"),
    }
    for (key, value) in knob::to_pairs(params) {
        q.set(key, value);
    }
    for f in P::fields() {
        f.write(q, params);
    }
}

/// Whether `key` is one the lab reads: a knob, a field or an extra key.
pub fn reads_key<L: Lab>(key: &str) -> bool {
    L::Params::knob(key).is_some() || L::Params::field(key).is_some() || L::EXTRA_KEYS.contains(&key)
}

/// The keys every lab's permalink may carry, besides its knobs.
pub const SHELL_KEYS: &[&str] =
    &["area", "preset", "step", "embed", "lock", "origins", "view", "present", "predict", "reveal"];

/// Reads a renamed key as its new name, with a warning, so an old link
/// keeps working and its author learns the new name. A link that carries
/// both keeps the new one.
pub fn upgrade_renamed_keys<L: Lab>(q: &mut Query) {
    for (old, new) in L::RENAMED_KEYS {
        let Some(v) = q.get(old).map(str::to_string) else { continue };
        q.remove(old);
        if q.get(new).is_none() {
            q.set(new, &v);
            q.warnings.push(format!("{old}= is now called {new}= in this lab; read as {new}={}.", clip(&v)));
        } else {
            q.warnings.push(format!("{old}= is now called {new}= in this lab; the link's {new}= was used."));
        }
    }
}

/// Warns about parameters the lab does not read, so a typo in a course page
/// is visible to its author. Renamed keys are read as their new names first.
pub fn warn_unknown_keys<L: Lab>(q: &mut Query) {
    upgrade_renamed_keys::<L>(q);
    let unknown: Vec<String> = q.keys().filter(|k| !SHELL_KEYS.contains(k) && !reads_key::<L>(k)).map(clip).collect();
    for k in unknown {
        q.warnings.push(format!("This lab has no parameter called {k:?}; it was ignored."));
    }
}

/// One run as `idemlab url` prints it and the browser's download holds it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The lab's slug.
    pub lab: &'static str,
    /// The preset the link named, if any.
    pub preset: Option<&'static str>,
    /// Every knob, defaults filled in, keyed by CLI flag.
    #[serde(serialize_with = "pairs_as_map")]
    pub params: Vec<(&'static str, KnobJson)>,
    /// The seed, as a string (64-bit integers lose digits in JavaScript).
    pub seed: Option<String>,
    /// The counter that proves the preset's lesson.
    pub key_counter: &'static str,
    /// The counters, as `{ id: value }` in JSON.
    #[serde(serialize_with = "counters_as_map")]
    pub counters: Vec<Counter>,
    /// The trace hash in hex, as a string.
    pub trace_hash: String,
    /// The permalink's query string that reproduces this run in the browser.
    pub permalink: String,
    /// What was wrong with the link.
    pub warnings: Vec<String>,
}

fn counters_as_map<S: serde::Serializer>(counters: &[Counter], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(counters.iter().map(|c| (c.id, c.value)))
}

fn pairs_as_map<S: serde::Serializer>(pairs: &[(&'static str, KnobJson)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(pairs.iter().map(|(k, v)| (*k, v)))
}

impl Report {
    /// The CSV header of [`Report::csv_row`]: units named in every column.
    pub fn csv_header<P: Params>(&self) -> String {
        let mut cols = vec!["lab".to_string(), "preset".to_string()];
        for k in P::knobs() {
            cols.push(match k.kind {
                knob::KnobKind::Int { .. } | knob::KnobKind::Percent if !k.flag.ends_with(k.unit.name()) => {
                    format!("{}_{}", k.flag, k.unit.name())
                }
                knob::KnobKind::Int { .. } | knob::KnobKind::Percent => k.flag.to_string(),
                knob::KnobKind::Flag | knob::KnobKind::Choice(_) | knob::KnobKind::Seed => k.flag.to_string(),
            });
        }
        for c in &self.counters {
            cols.push(format!("{}_{}", c.id, c.value.unit()));
        }
        cols.push("trace_hash".into());
        cols.push("permalink".into());
        cols.join(",")
    }

    /// One tidy CSV row: the lab, preset, every knob, every counter as a
    /// plain number, the trace hash and the permalink.
    pub fn csv_row(&self) -> String {
        let mut cells = vec![self.lab.to_string(), self.preset.unwrap_or("").to_string()];
        for (_, v) in &self.params {
            cells.push(match v {
                KnobJson::Number(n) => n.to_string(),
                KnobJson::Bool(b) => u8::from(*b).to_string(),
                KnobJson::Text(t) => t.clone(),
            });
        }
        for c in &self.counters {
            cells.push(c.value.plain());
        }
        cells.push(self.trace_hash.clone());
        cells.push(csv_quote(&self.permalink));
        cells.join(",")
    }
}

/// Quotes a CSV cell when it holds a comma or a quote.
pub fn csv_quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Builds the report of a lab's run from its link read.
pub fn report<L: Lab>(read: &LinkRead<L::Params>, run: &L::Run, warnings: Vec<String>) -> Report {
    let seed = L::Params::knob("seed").map(|k| (k.get)(&read.params).to_string());
    let mut q = Query::default();
    q.set("area", L::SLUG);
    write_link(&mut q, read.preset, &read.params);
    Report {
        lab: L::SLUG,
        preset: read.preset.map(|p| p.slug),
        params: knob::to_json(&read.params),
        seed,
        key_counter: read.preset.or_else(|| L::presets().first()).map_or("", |p| p.key_counter),
        counters: L::counters(run),
        trace_hash: format!("{:016x}", L::trace_hash(run)),
        permalink: q.to_search(),
        warnings,
    }
}

/// Reads a link for lab `L`, runs it, and reports.
pub fn run_link<L: Lab>(q: &mut Query) -> Result<Report, SimError> {
    warn_unknown_keys::<L>(q);
    let read = read_link::<L>(q);
    let run = L::run(&read.params)?;
    Ok(report::<L>(&read, &run, q.warnings.clone()))
}
