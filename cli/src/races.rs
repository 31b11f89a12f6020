//! `idemlab race`: the races lab's engine and explorer.

use crate::args::Args;
use idemlab_sim::races::{self, explore, scenario, SCENARIO_IDS};

pub const HELP: &str = "idemlab race list
idemlab race run SCENARIO --schedule 1,2,2,1,... [--lenient]
idemlab race explore SCENARIO [--all]
  Two requests with the same Idempotency-Key, each in its own transaction (PostgreSQL 15
  semantics). `list` prints every scenario as an object {id, number, title, sql}; `run` steps
  the schedule (1 = T1 steps next, 2 = T2; volatile-store and durable-store have three lanes:
  2 = the server's crash, 3 = the retry T3) and prints the trace and outcome (--lenient skips
  entries naming a waiting or finished transaction and completes the run); `explore` prints
  every outcome class with its count and an example schedule (--all adds every schedule).";

pub fn main(words: &[String]) -> Result<serde_json::Value, String> {
    let a = Args::parse(words, &["--schedule"], &["--lenient", "--all"])?;
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
        Some("run") => {
            let s = find(a.positional.get(1))?;
            let schedule: Vec<u8> = match a.value("--schedule") {
                None | Some("") => Vec::new(),
                Some(v) => v
                    .split(',')
                    .map(|w| w.trim().parse::<u8>().map_err(|_| format!("--schedule: {w:?} is not an actor number")))
                    .collect::<Result<_, _>>()?,
            };
            let (run, notes) = if a.has("--lenient") {
                races::run_lenient(&s, &schedule).map_err(|e| e.to_string())?
            } else {
                (races::run(&s, &schedule).map_err(|e| e.to_string())?, Vec::new())
            };
            let narration: Vec<String> =
                run.trace.iter().map(|r| format!("{}: {}", r.step, races::narrate(&r.record))).collect();
            Ok(serde_json::json!({
                "scenario": s.id,
                "schedule": run.schedule,
                "notes": notes,
                "outcome": run.outcome,
                "double_charge": run.outcome.double_charge(),
                "narration": narration,
                "trace": run.trace,
            }))
        }
        Some("explore") => {
            let s = find(a.positional.get(1))?;
            let x = explore(&s, races::EXPLORE_SCHEDULES_MAX).map_err(|e| e.to_string())?;
            let mut out = serde_json::json!({
                "scenario": x.scenario,
                "total": x.total,
                "double_charge_schedules": x.double_charges,
                "summary": format!("double charge in {} of {} interleavings", x.double_charges, x.total),
                "first_counterexample": x.first_counterexample,
                "classes": x.classes.iter().map(|c| serde_json::json!({
                    "label": c.label, "count": c.count, "example": c.example, "outcome": c.outcome,
                })).collect::<Vec<_>>(),
            });
            if a.has("--all") {
                out["schedules"] = serde_json::to_value(&x.schedules).map_err(|e| e.to_string())?;
            }
            Ok(out)
        }
        Some(other) => Err(format!("unknown action {other:?}; use list, run or explore")),
        None => Err("use list, run or explore".into()),
    }
}
