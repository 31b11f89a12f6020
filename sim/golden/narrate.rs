//! The narrated goldens: every preset of every lab (in Races, one preset per
//! shipped scenario) run and told one step a line, in the engines' own words
//! (Keys' event log, Outbox's `describe`, Races' `narrate`), then the lab's
//! evidence counters. The files sit in `narrated/` beside `hashes.txt`, so a
//! behaviour change shows in review as a text diff, not only as a new hash.
//! A test fixture: `sim/tests/golden.rs` includes it with `#[path]`, and it
//! uses only the core's public API.

#![allow(dead_code, reason = "included with #[path]; the including test uses a part of it")]

use idemlab_sim::delivery::{DeliveryRecord, DeliveryRun, Leg};
use idemlab_sim::lab::{Lab, Preset};
use idemlab_sim::races::{join_schedule, narrate, RacesRun};
use idemlab_sim::retries::{fleet::FleetRun, RetriesRun, StudyRun};
use idemlab_sim::{delivery, keys, outbox, races, retries};

/// The one command that writes every kept file again (hashes and narrations).
pub const BLESS: &str = "IDEMLAB_BLESS=1 cargo test -p idemlab-sim --test golden";

/// Step lines kept per file: a longer run keeps its first this many, and
/// its header says how many there were.
pub const STEP_LINES_MAX: usize = 150;

/// One kept file: its name in `narrated/` and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Narrated {
    /// `lab.preset.txt`.
    pub file: String,
    /// The whole file.
    pub text: String,
}

/// A run told as steps: what one step is, and one line per step.
struct Told {
    /// What a line stands for, for the header ("step of the step-through").
    unit: &'static str,
    /// Lines before the steps (the schedule a Races run follows).
    intro: Vec<String>,
    lines: Vec<String>,
    /// Lines after the steps, before the counters (an explorer's outcome classes).
    after: Vec<String>,
}

/// How each lab's run is told in words: one implementation per lab, found
/// through the registry.
trait Tell: Lab {
    fn tell(params: &Self::Params, run: &Self::Run) -> Told;
}

impl Tell for delivery::DeliveryLab {
    fn tell(_: &Self::Params, r: &Self::Run) -> Told {
        tell_delivery(r)
    }
}

impl Tell for keys::KeysLab {
    fn tell(p: &Self::Params, r: &Self::Run) -> Told {
        tell_keys(p, r)
    }
}

impl Tell for retries::RetriesLab {
    fn tell(_: &Self::Params, r: &Self::Run) -> Told {
        tell_retries(r)
    }
}

impl Tell for outbox::OutboxLab {
    fn tell(_: &Self::Params, r: &Self::Run) -> Told {
        tell_outbox(r)
    }
}

impl Tell for races::RacesLab {
    fn tell(_: &Self::Params, r: &Self::Run) -> Told {
        tell_races(r)
    }
}

macro_rules! tell_every_lab {
    ($($var:ident $slug:literal $title:literal $ty:path [$($alias:literal),*],)*) => {
        /// Every narrated file, in the registry's order.
        pub fn all() -> Vec<Narrated> {
            let mut out = Vec::new();
            $(each::<$ty>(&mut out, <$ty as Tell>::tell);)*
            out
        }
    };
}
idemlab_sim::with_labs!(tell_every_lab);

/// Runs every preset of `L` and writes its file: header, preset, step lines
/// (bounded), then the counters. A run the engine refuses is written as its
/// error, so a refusal is a diff too.
fn each<L: Lab>(out: &mut Vec<Narrated>, tell: impl Fn(&L::Params, &L::Run) -> Told) {
    for pr in L::presets() {
        let params = L::preset_params(pr);
        let body = match L::run(&params) {
            Ok(run) => {
                let told = tell(&params, &run);
                let counters: Vec<String> = L::counters(&run)
                    .iter()
                    .map(|c| format!("counter {} = {}{}", c.id, c.value.human(), if c.bad { " (bad)" } else { "" }))
                    .collect();
                (told, counters)
            }
            Err(e) => (
                Told {
                    unit: "error",
                    intro: vec![],
                    lines: vec![format!("the engine refused the run: {e}")],
                    after: vec![],
                },
                vec![],
            ),
        };
        out.push(Narrated { file: format!("{}.{}.txt", L::SLUG, pr.slug), text: render::<L>(pr, body) });
    }
}

fn render<L: Lab>(pr: &Preset, (told, counters): (Told, Vec<String>)) -> String {
    let n = told.lines.len();
    let kept = n.min(STEP_LINES_MAX);
    let scope = if kept < n {
        format!("the first {kept} of {n} lines, one per {}", told.unit)
    } else {
        format!("all {n} lines, one per {}", told.unit)
    };
    let mut s =
        format!("# {}/{}: {scope}, then the lab's counters for the whole run. Regenerate: {BLESS}\n", L::SLUG, pr.slug);
    s.push_str(&format!("# preset: {}\n", pr.title));
    for l in told.intro.iter().chain(&told.lines[..kept]) {
        s.push_str(l);
        s.push('\n');
    }
    if kept < n {
        s.push_str(&format!("… {} more lines not kept\n", n - kept));
    }
    for l in told.after.iter().chain(&counters) {
        s.push_str(l);
        s.push('\n');
    }
    s
}

/// About: one line per record of the delivery trace (the page draws these
/// as glyphs on a timeline; the words here are the page's labels).
fn tell_delivery(r: &DeliveryRun) -> Told {
    let lines = r
        .trace
        .records()
        .iter()
        .map(|s| {
            let what = match &s.record {
                DeliveryRecord::Sent { msg, attempt } => format!("message {msg} attempt {attempt} sent"),
                DeliveryRecord::Dropped { msg, attempt, leg: Leg::Message } => {
                    format!("message {msg} attempt {attempt}: message lost")
                }
                DeliveryRecord::Dropped { msg, attempt, leg: Leg::Ack } => {
                    format!("message {msg} attempt {attempt}: acknowledgement lost")
                }
                DeliveryRecord::Applied { msg, attempt, duplicate: false } => {
                    format!("message {msg} attempt {attempt}: applied")
                }
                DeliveryRecord::Applied { msg, attempt, duplicate: true } => {
                    format!("message {msg} attempt {attempt}: applied AGAIN")
                }
                DeliveryRecord::SkippedDuplicate { msg, attempt } => {
                    format!("message {msg} attempt {attempt}: duplicate skipped")
                }
                DeliveryRecord::Acked { msg, attempt } => format!("message {msg} attempt {attempt}: acknowledged"),
                DeliveryRecord::TimedOut { msg, attempt } => format!("message {msg} attempt {attempt}: timed out"),
                DeliveryRecord::GaveUp { msg } => format!("message {msg}: the sender gave up"),
            };
            format!("{:>8.1} ms  {what}", s.at.as_ms_f64())
        })
        .collect();
    Told { unit: "record of the trace", intro: vec![], lines, after: vec![] }
}

/// Keys: the step-through's event log (the run the page steps through:
/// one operation, two for a reused key), then the batch's counters.
fn tell_keys(p: &keys::KeysParams, _batch: &keys::KeysRun) -> Told {
    let step = keys::KeysParams { ops: keys::presets::step_ops(p.policy), ..p.clone() };
    let lines = match keys::run(&step) {
        Ok(run) => keys::view::steps(&run)
            .iter()
            .map(|s| format!("{:>8.1} ms  {}", s.at_us as f64 / 1_000.0, s.line))
            .collect(),
        Err(e) => vec![format!("the engine refused the step-through run: {e}")],
    };
    Told { unit: "step of the step-through (the counters are the batch's)", intro: vec![], lines, after: vec![] }
}

/// Retries: the fleet view's readout, one line per time bucket (a step of
/// the page), and its summary; compare and study views as one line per run.
fn tell_retries(r: &RetriesRun) -> Told {
    match r {
        RetriesRun::Fleet(run) => Told {
            unit: "time bucket of the fleet view",
            intro: vec![],
            lines: buckets(run),
            after: vec![summary(run)],
        },
        RetriesRun::Compare { runs } => Told {
            unit: "strategy of the compare view",
            intro: vec![],
            lines: runs.iter().map(summary).collect(),
            after: vec![],
        },
        RetriesRun::Study(s) => {
            Told { unit: "point of the study sweep", intro: vec![], lines: study(s), after: vec![] }
        }
    }
}

fn buckets(run: &FleetRun) -> Vec<String> {
    let b = &run.buckets;
    let bucket_s = b.bucket_us as f64 / 1e6;
    (0..b.first_tries.len())
        .map(|i| format!("{:.1}–{:.1} s: {}", i as f64 * bucket_s, (i + 1) as f64 * bucket_s, b.words(i)))
        .collect()
}

fn summary(run: &FleetRun) -> String {
    let t = &run.totals;
    let rec = run.recovery();
    format!(
        "{}: {} requests, {} succeeded, {} failed; {} server calls; after the outage the load peaked at {:.0} calls/s ({:.2}× capacity), {} calls answered 503, overload for {:.0} ms after it, {}",
        run.params.strategy.title(),
        t.requests,
        t.successes,
        t.failures,
        t.server_calls,
        rec.peak_rps,
        rec.peak_ratio,
        rec.rejected_after,
        rec.overload_ms,
        if rec.recovered { "recovered by the end" } else { "still overflowing at the end" }
    )
}

fn study(s: &StudyRun) -> Vec<String> {
    s.points
        .iter()
        .map(|p| {
            format!(
                "{} clients, {}: {:.1} writes and {:.1} ms per run",
                p.clients,
                p.strategy.title(),
                p.calls_mean,
                p.time_ms_mean
            )
        })
        .collect()
}

/// Outbox: the event log, one line per record (the page's step), with the
/// page's ⚠ on a record that breaks the design's promise.
fn tell_outbox(r: &outbox::OutboxRun) -> Told {
    let mut lines: Vec<String> = r
        .trace
        .records()
        .iter()
        .map(|s| {
            let mark = if s.record.is_bad() && !s.record.is_crash() { "⚠ " } else { "" };
            format!("{:>8.1} ms  {mark}{}", s.at.as_ms_f64(), s.record.describe())
        })
        .collect();
    if r.trace.dropped() > 0 {
        lines.push(format!("({} records past the trace's bound were counted, not kept)", r.trace.dropped()));
    }
    Told { unit: "record of the event log", intro: vec![], lines, after: vec![] }
}

/// Races: the run a preset link shows (the first counterexample, else the
/// first schedule), one line per step with what happened in it, then every
/// outcome the explorer found.
fn tell_races(r: &RacesRun) -> Told {
    let mut intro = vec![format!("schedule {}", join_schedule(&r.run.schedule))];
    intro.extend(r.notes.iter().map(|n| format!("note: {n}")));
    let mut lines = Vec::new();
    for f in &r.run.frames {
        let said: Vec<String> = f.records.iter().map(narrate).collect();
        lines.push(format!("step {}: {}", f.step, said.join("; ")));
    }
    let after = match &r.explored {
        Ok(x) => std::iter::once(format!("explored: {} schedules, {} double charge", x.total, x.double_charges))
            .chain(x.classes.iter().map(|c| {
                let plural = if c.count == 1 { "" } else { "s" };
                format!("outcome: {} ({} schedule{plural}, shortest {})", c.label, c.count, join_schedule(&c.example))
            }))
            .collect(),
        Err(why) => vec![format!("explorer stopped: {why}")],
    };
    Told { unit: "step of the schedule", intro, lines, after }
}

/// The first line where `kept` and `now` differ, as a short readable report,
/// or `None` when they are equal.
pub fn first_difference(kept: &str, now: &str) -> Option<String> {
    if kept == now {
        return None;
    }
    let (mut k, mut n) = (kept.lines(), now.lines());
    let mut line = 1;
    loop {
        match (k.next(), n.next()) {
            (Some(a), Some(b)) if a == b => line += 1,
            (None, None) => return Some("only the line endings differ".to_string()),
            (a, b) => {
                return Some(format!(
                    "line {line}\n  kept: {}\n  now:  {}",
                    a.unwrap_or("(end of file)"),
                    b.unwrap_or("(end of file)")
                ))
            }
        }
    }
}
