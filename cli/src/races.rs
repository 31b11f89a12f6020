//! `idemlab races`: the races lab's engine and explorer.

mod pg;

use crate::args::Args;
use crate::lab::Output;
use idemlab_sim::knob::Params;
use idemlab_sim::races::{self, explore, handler_scenario, scenario, Exploration, RacesParams, SCENARIO_IDS};

/// The Races lab's permalink keys, from its schema: what `idemlab url` reads
/// and what `--lanes` takes.
pub fn link_keys_help() -> String {
    use idemlab_sim::knob::{FieldKind, KnobKind};
    let mut out = String::from("  The lab's permalink keys (idemlab url reads them):");
    for k in RacesParams::knobs() {
        let values = match k.kind {
            KnobKind::Choice(list) => list.iter().map(|(slug, _)| *slug).collect::<Vec<_>>().join("|"),
            KnobKind::Int { .. } | KnobKind::Percent | KnobKind::Flag | KnobKind::Seed => {
                let (min, max) = k.kind.bounds();
                format!("{min}..{max}")
            }
        };
        out.push_str(&format!("\n    {}={values}  {} Default: {}.", k.key, k.help, k.show(k.default)));
    }
    for f in RacesParams::fields() {
        let values = match f.kind {
            FieldKind::List { min, max, len_max } => format!("at most {len_max} of {min}..{max}, with commas"),
            FieldKind::Text => "text".to_string(),
        };
        out.push_str(&format!("\n    {}=({values})  What it holds: {}.", f.key, f.label));
    }
    out
}

pub const HELP: &str = "idemlab races list
idemlab races run SCENARIO --schedule 1,2,2,1,... [--lenient]
idemlab races explore SCENARIO [--all]
idemlab races check FILE [--lanes N] [--pg CONNINFO [--max N] [--walkers N] [--seed N]] [--all]
idemlab races text SCENARIO|CORPUS-HANDLER|stuck-key
  Two requests with the same Idempotency-Key, each in its own transaction (PostgreSQL 15
  semantics). `list` prints every scenario as an object {id, number, title, sql}; `run` steps
  the schedule (1 = T1 steps next, 2 = T2; volatile-store and durable-store have three lanes:
  2 = the server's crash, 3 = the retry T3) and prints the trace and outcome (--lenient skips
  entries naming a waiting or finished transaction and completes the run); `explore` prints
  every outcome class with its count and a shortest example schedule, counted exactly over
  the graph of engine states (--all adds the first 1,000 schedules in order: every schedule
  when there are no more; counts above 2^64 are printed as strings of digits).
  `run` prints the common envelope {lab, preset, params, seed, counters, trace_hash, permalink}
  of the Races lab playing exactly that schedule, plus the run's trace and narration. --csv
  prints `run` as one CSV row and `explore` as one row per outcome class.
  `check` parses a handler text
  (SQL on idempotency_keys plus control lines; see the Races lab) and prints the same JSON
  as `explore`; FILE - reads stdin. With --pg, it also runs the handler on PostgreSQL 15:
  each statement as written (the key bound to $1) on a table of the checker's own
  schema, over every schedule the server allows (a lane steps only when the server is
  not blocking it), up to 5,000 schedules (--max N: at most N). A handler with more is
  judged on a seeded sample of that many schedules chosen to cover the engine's
  transitions (--seed N picks another sample), and the report gives the fraction of
  transitions it confirmed. Each step's rows, row counts, command tags, errors and waits
  are compared with the engine; the report's `summary` says what was checked, e.g.
  \"checked 5,000 of 14,016 schedules (a seeded sample) on PostgreSQL, no
  disagreement\", and `ms_per_schedule` how long a replay took. --walkers N replays on
  N sets of sessions at once (1 to 4, default 4). A statement the server rejects is
  reported with the server's error at its line. The command exits with status 2 when
  the server and the engine disagree, the server rejects the text, or the server
  cannot be reached.";

/// A schedule count: a JSON number while it fits one (2^64), else its digits
/// as a string (a handler of lanes that never wait has up to 10^28 schedules).
fn count(n: u128) -> serde_json::Value {
    u64::try_from(n).map_or_else(|_| n.to_string().into(), Into::into)
}

fn explore_json(x: &Exploration, all: bool) -> Result<serde_json::Value, String> {
    let mut out = serde_json::json!({
        "scenario": x.scenario,
        "total": count(x.total),
        "double_charge_schedules": count(x.double_charges),
        "states": x.states,
        "summary": if x.double_charges > 0 {
            format!("double charge in {} of {} interleavings", x.double_charges, x.total)
        } else {
            format!("safe in all {}: no double charge", x.total)
        },
        "first_counterexample": x.first_counterexample,
        "classes": x.classes.iter().map(|c| serde_json::json!({
            "label": c.label, "count": count(c.count), "example": c.example, "outcome": c.outcome,
        })).collect::<Vec<_>>(),
    });
    if all {
        out["schedules"] = serde_json::to_value(&x.schedules).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// The explorer's outcome classes as CSV: one tidy row per class.
fn explore_csv(x: &Exploration) -> String {
    let mut out = String::from("scenario,class,schedules_count,double_charge,example_schedule\n");
    for c in &x.classes {
        let example = c.example.iter().map(u8::to_string).collect::<Vec<_>>().join(" ");
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            x.scenario,
            idemlab_sim::lab::csv_quote(&c.label),
            c.count,
            u8::from(c.outcome.double_charge()),
            example
        ));
    }
    out
}

/// `idemlab races`, with `--csv` on `run`, `explore` and `check`.
pub fn main(words: &[String]) -> Result<Output, String> {
    let a = Args::parse(
        words,
        &["--schedule", "--lanes", "--pg", "--walkers", "--seed", "--max"],
        &["--lenient", "--all", "--csv"],
    )?;
    let csv = a.has("--csv");
    match a.positional.first().map(String::as_str) {
        Some("explore") if csv => {
            let s = scenario_of(a.positional.get(1))?;
            let x = explore(&s, races::EXPLORE_STATES_MAX).map_err(|e| races::limits::refusal_words(&e))?;
            return Ok(Output::Csv(explore_csv(&x)));
        }
        Some("run") => return run(&a, csv),
        _ => {}
    }
    json_main(&a).map(Output::Json)
}

fn scenario_of(id: Option<&String>) -> Result<races::Scenario, String> {
    let id = id.ok_or_else(|| format!("name a scenario: {}", SCENARIO_IDS.join(", ")))?;
    scenario(id).ok_or_else(|| format!("no scenario {id:?}; known: {}", SCENARIO_IDS.join(", ")))
}

/// `race run`: the envelope of the Races lab's run of this schedule (the
/// same counters and trace hash as its permalink), plus the run's own parts
/// under named keys.
fn run(a: &Args, csv: bool) -> Result<Output, String> {
    let s = scenario_of(a.positional.get(1))?;
    let schedule: Vec<u8> = match a.value("--schedule") {
        None | Some("") => Vec::new(),
        Some(v) => v
            .split(',')
            .map(|w| w.trim().parse::<u8>().map_err(|_| format!("--schedule: {w:?} is not an actor number")))
            .collect::<Result<_, _>>()?,
    };
    let (run, notes) = if a.has("--lenient") {
        races::run_lenient(&s, &schedule).map_err(|e| races::limits::refusal_words(&e))?
    } else {
        (races::run(&s, &schedule).map_err(|e| races::limits::refusal_words(&e))?, Vec::new())
    };
    // The page's "Play scheduler" mode runs exactly the schedule given, as this command does.
    let text: Vec<String> = run.schedule.iter().map(u8::to_string).collect();
    let link = format!("?area=races&scenario={}&schedule={}&mode=scheduler", s.id, text.join(","));
    let report = idemlab_sim::labs::run_permalink(&link)?;
    if csv {
        return Ok(Output::Csv(idemlab_sim::labs::csv_for(&report)));
    }
    // Step 0 (before the first step) has no frame; its records (a BEGIN) are said plainly.
    let words = races::frame_narration(&run);
    let mut narration: Vec<String> =
        run.trace.iter().filter(|r| r.step == 0).map(|r| format!("0: {}", races::narrate(&r.record))).collect();
    for (i, w) in words.iter().enumerate() {
        narration.extend(w.iter().map(|line| format!("{}: {line}", i + 1)));
    }
    let mut out = serde_json::to_value(&report).map_err(|e| e.to_string())?;
    out["scenario"] = serde_json::json!(s.id);
    out["schedule"] = serde_json::json!(run.schedule);
    out["notes"] = serde_json::json!(notes);
    out["outcome"] = serde_json::to_value(&run.outcome).map_err(|e| e.to_string())?;
    out["double_charge"] = serde_json::json!(run.outcome.double_charge());
    out["narration"] = serde_json::json!(narration);
    out["trace"] = serde_json::to_value(&run.trace).map_err(|e| e.to_string())?;
    Ok(Output::Json(out))
}

fn json_main(a: &Args) -> Result<serde_json::Value, String> {
    let find = |id: Option<&String>| {
        let id = id.ok_or_else(|| format!("name a scenario: {}", SCENARIO_IDS.join(", ")))?;
        scenario(id).ok_or_else(|| format!("no scenario {id:?}; known: {}", SCENARIO_IDS.join(", ")))
    };
    match a.positional.first().map(String::as_str) {
        Some("list") => Ok(serde_json::json!(SCENARIO_IDS
            .iter()
            .filter_map(|id| scenario(id))
            .map(|s| serde_json::json!({"id": s.id, "number": s.number, "title": s.title, "sql": s.is_sql}))
            .collect::<Vec<_>>())),
        Some("text") => {
            // The handler text of a scenario or of a corpus handler, ready for `race check`.
            let name = a.positional.get(1).ok_or("name a scenario or a corpus handler")?;
            if let Some(s) = scenario(name) {
                return Ok(serde_json::json!({ "name": s.id, "lanes": 2, "text": s.sql }));
            }
            if name == "stuck-key" {
                let what = "preset 4's claim with a crash before the UPDATE to done: the key stays started and the retry gets 409 (engine only: a crash has no --pg counterpart)";
                return Ok(
                    serde_json::json!({ "name": name, "exercises": what, "lanes": 3, "text": races::corpus::STUCK_KEY }),
                );
            }
            match races::corpus::MODELLED.iter().find(|c| c.0 == name.as_str()) {
                Some((n, what, lanes, text)) => {
                    Ok(serde_json::json!({ "name": n, "exercises": what, "lanes": lanes, "text": text }))
                }
                None => Err(format!(
                    "no scenario or corpus handler {name:?}; corpus: {}",
                    races::corpus::MODELLED.iter().map(|c| c.0).collect::<Vec<_>>().join(", ")
                )),
            }
        }
        Some("explore") => {
            let s = find(a.positional.get(1))?;
            let x = explore(&s, races::EXPLORE_STATES_MAX).map_err(|e| races::limits::refusal_words(&e))?;
            explore_json(&x, a.has("--all"))
        }
        Some("check") => {
            let file = a.positional.get(1).ok_or("name a handler file (or - for stdin)")?;
            let text = if file == "-" {
                let mut t = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut t).map_err(|e| e.to_string())?;
                t
            } else {
                std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?
            };
            // The page's `lanes` knob, read strictly: its bounds and default are the schema's.
            let knob = RacesParams::knob("lanes").ok_or("the races schema has no lanes knob")?;
            let lanes = match a.value("--lanes") {
                None => knob.default,
                Some(v) => knob.parse(v).map_err(|e| format!("--lanes: {e}"))?,
            } as u8;
            let s = handler_scenario(&text, lanes).map_err(|e| format!("{file}: {e}"))?;
            let explored = explore(&s, races::EXPLORE_STATES_MAX);
            let Some(conninfo) = a.value("--pg") else {
                return explore_json(&explored.map_err(|e| races::limits::refusal_words(&e))?, a.has("--all"));
            };
            let mut out = match &explored {
                Ok(x) => explore_json(x, a.has("--all"))?,
                // Past the explorer's bound the server still judges a sample; any other refusal stands.
                Err(e @ idemlab_sim::SimError::InvalidParameter { name: "schedules_max", .. }) => {
                    serde_json::json!({ "scenario": s.id, "total": null, "explorer": races::limits::refusal_words(e) })
                }
                Err(e) => return Err(format!("{file}: {}", races::limits::refusal_words(e))),
            };
            let h = races::parse_handler(&text, lanes).map_err(|e| format!("{file}: {e}"))?;
            let src = pg::Source::of(&text, &h);
            let number = |flag: &str, default: u64| -> Result<u64, String> {
                a.value(flag).map_or(Ok(default), |v| v.parse().map_err(|_| format!("{flag}: {v:?} is not a number")))
            };
            let walkers = number("--walkers", pg::WALKERS_MAX as u64)? as usize;
            let seed = number("--seed", pg::SEED)?;
            let max = number("--max", races::PG_SCHEDULES_MAX as u64)?;
            if !(1..=races::PG_SCHEDULES_MAX as u64).contains(&max) {
                return Err(format!("--max: {max} is not 1 to {}", races::PG_SCHEDULES_MAX));
            }
            let report =
                pg::check(&s, &src, conninfo, walkers, seed, max as usize).map_err(|e| format!("{file}: {e}"))?;
            let agree = report["agree"] == true;
            out["postgres"] = report;
            if !agree {
                return Err(format!(
                    "PostgreSQL and the engine disagree:\n{}",
                    serde_json::to_string_pretty(&out).unwrap_or_default()
                ));
            }
            Ok(out)
        }
        Some(other) => Err(format!("unknown action {other:?}; use list, run, explore or check")),
        None => Err("use list, run, explore or check".into()),
    }
}
