//! `idemlab race`: the races lab's engine and explorer.

mod pg;

use crate::args::Args;
use crate::lab::Output;
use idemlab_sim::races::{self, explore, handler_scenario, scenario, Exploration, SCENARIO_IDS};

pub const HELP: &str = "idemlab race list
idemlab race run SCENARIO --schedule 1,2,2,1,... [--lenient]
idemlab race explore SCENARIO [--all]
idemlab race check FILE [--lanes 2|3] [--pg CONNINFO] [--all]
idemlab race text SCENARIO|CORPUS-HANDLER
  Two requests with the same Idempotency-Key, each in its own transaction (PostgreSQL 15
  semantics). `list` prints every scenario as an object {id, number, title, sql}; `run` steps
  the schedule (1 = T1 steps next, 2 = T2; volatile-store and durable-store have three lanes:
  2 = the server's crash, 3 = the retry T3) and prints the trace and outcome (--lenient skips
  entries naming a waiting or finished transaction and completes the run); `explore` prints
  every outcome class with its count and an example schedule (--all adds every schedule).
  `run` prints the common envelope {lab, preset, params, seed, counters, trace_hash, permalink}
  of the Races lab playing exactly that schedule, plus the run's trace and narration. --csv
  prints `run` as one CSV row and `explore` as one row per outcome class.
  `check` parses a handler text
  (SQL on idempotency_keys plus control lines; see the Races lab) and prints the same JSON
  as `explore`; FILE - reads stdin. With --pg, it also runs every schedule PostgreSQL 15
  allows (a lane steps only when the server is not blocking it) and adds a `postgres`
  report: schedules, per-step agreement with the engine, and any disagreement. It exits
  with status 2 when they disagree or the server cannot be reached.";

fn explore_json(x: &Exploration, all: bool) -> Result<serde_json::Value, String> {
    let mut out = serde_json::json!({
        "scenario": x.scenario,
        "total": x.total,
        "double_charge_schedules": x.double_charges,
        "summary": if x.double_charges > 0 {
            format!("double charge in {} of {} interleavings", x.double_charges, x.total)
        } else {
            format!("safe in all {}: no double charge", x.total)
        },
        "first_counterexample": x.first_counterexample,
        "classes": x.classes.iter().map(|c| serde_json::json!({
            "label": c.label, "count": c.count, "example": c.example, "outcome": c.outcome,
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

/// `idemlab race`, with `--csv` on `run`, `explore` and `check`.
pub fn main(words: &[String]) -> Result<Output, String> {
    let a = Args::parse(words, &["--schedule", "--lanes", "--pg"], &["--lenient", "--all", "--csv"])?;
    let csv = a.has("--csv");
    match a.positional.first().map(String::as_str) {
        Some("explore") if csv => {
            let s = scenario_of(a.positional.get(1))?;
            let x = explore(&s, races::EXPLORE_SCHEDULES_MAX).map_err(races::refusal_words)?;
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
        races::run_lenient(&s, &schedule).map_err(races::refusal_words)?
    } else {
        (races::run(&s, &schedule).map_err(races::refusal_words)?, Vec::new())
    };
    // The page's "Play scheduler" mode runs exactly the schedule given, as this command does.
    let text: Vec<String> = run.schedule.iter().map(u8::to_string).collect();
    let link = format!("?area=races&scenario={}&schedule={}&mode=scheduler", s.id, text.join(","));
    let report = idemlab_sim::labs::run_permalink(&link)?;
    if csv {
        return Ok(Output::Csv(idemlab_sim::labs::csv_for(&report)));
    }
    let narration: Vec<String> =
        run.trace.iter().map(|r| format!("{}: {}", r.step, races::narrate(&r.record))).collect();
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
            let x = explore(&s, races::EXPLORE_SCHEDULES_MAX).map_err(races::refusal_words)?;
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
            let lanes: u8 = match a.value("--lanes") {
                None => 2,
                Some(v) => v.parse().map_err(|_| format!("--lanes: {v:?} is not 2 or 3"))?,
            };
            let s = handler_scenario(&text, lanes).map_err(|e| format!("{file}: {e}"))?;
            let x = explore(&s, races::EXPLORE_SCHEDULES_MAX).map_err(races::refusal_words)?;
            let mut out = explore_json(&x, a.has("--all"))?;
            if let Some(conninfo) = a.value("--pg") {
                let report = pg::check(&s, conninfo)?;
                let agree = report["agree"] == true;
                out["postgres"] = report;
                if !agree {
                    return Err(format!(
                        "PostgreSQL and the engine disagree:\n{}",
                        serde_json::to_string_pretty(&out).unwrap_or_default()
                    ));
                }
            }
            Ok(out)
        }
        Some(other) => Err(format!("unknown action {other:?}; use list, run, explore or check")),
        None => Err("use list, run, explore or check".into()),
    }
}
