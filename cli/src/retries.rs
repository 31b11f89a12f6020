//! `idemlab retries`: the Retries lab's engines, headless. Both workloads print
//! the common envelope (`lab`, `params`, `seed`, `counters`, `trace_hash` as
//! a string); every parameter is printed under the flag that sets it, and
//! every strategy under the one slug the permalink, the CLI, JSON and CSV use.

use crate::args::Args;
use crate::lab::{self, Output};
use idemlab_sim::backoff::Strategy;
use idemlab_sim::knob;
use idemlab_sim::lab::Lab;
use idemlab_sim::retries::{fleet, occ, RetriesLab, RetriesRun};
use std::fmt::Write as _;

pub fn help() -> String {
    let names: Vec<&str> = Strategy::ALL.iter().map(|s| s.slug()).collect();
    format!(
        "idemlab retries [--workload occ|fleet] ...
  occ (default): the AWS backoff study (N clients updating one row under optimistic concurrency).
         --clients N (100), --runs R (100), --seed S, --base-ms (5), --cap-ms (2000), --strategy NAME|all,
         --sweep (every client count from 10 to N by 10). Prints the envelope with one point per strategy
         and client count under \"points\"; --csv prints those points as CSV.
  fleet: the Retries lab's fleet, with the lab's knobs and presets (the same run as its permalink):
         --preset NAME [KNOBS] [--csv] [--trace] [--buckets]. --csv prints the envelope as one CSV row;
         --buckets prints the run's 120 time buckets as CSV instead.
  Strategies: {}.
{}",
        names.join(", "),
        lab::help::<RetriesLab>("retries --workload fleet", "Runs the Retries lab (view fleet, compare or study).")
    )
}

pub fn main(words: &[String]) -> Result<Output, String> {
    let mut rest = Vec::new();
    let mut workload = "occ".to_string();
    let mut i = 0;
    while i < words.len() {
        if words[i] == "--workload" {
            workload = words.get(i + 1).cloned().ok_or("--workload needs occ or fleet")?;
            i += 2;
        } else {
            rest.push(words[i].clone());
            i += 1;
        }
    }
    match workload.as_str() {
        "occ" => run_occ(&rest),
        "fleet" => run_fleet(&rest),
        other => Err(format!("--workload: {other:?} is neither occ nor fleet")),
    }
}

const OCC_FLAGS: &[&str] = &["--strategy", "--clients", "--runs", "--seed", "--base-ms", "--cap-ms"];

fn strategies(a: &Args, default: Strategy) -> Result<Vec<Strategy>, String> {
    match a.value("--strategy") {
        None => Ok(vec![default]),
        Some("all") => Ok(occ::STUDY_STRATEGIES.to_vec()),
        Some(s) => Strategy::from_slug(s).map(|s| vec![s]).ok_or_else(|| {
            let names: Vec<&str> = Strategy::ALL.iter().map(|s| s.slug()).collect();
            format!("--strategy: unknown {s:?}; known: {} or all", names.join(", "))
        }),
    }
}

fn run_occ(words: &[String]) -> Result<Output, String> {
    let a = Args::parse(words, OCC_FLAGS, &["--csv", "--sweep"])?;
    if let Some(extra) = a.positional.first() {
        return Err(format!("unexpected argument {extra:?}"));
    }
    let d = occ::OccParams::default();
    let base = occ::OccParams {
        clients: a.get("--clients", d.clients)?,
        runs: a.get("--runs", d.runs)?,
        strategy: d.strategy,
        base_ms: a.get("--base-ms", d.base_ms)?,
        cap_ms: a.get("--cap-ms", d.cap_ms)?,
        seed: a.get("--seed", d.seed)?,
    };
    base.validate().map_err(|e| e.to_string())?;
    let clients: Vec<u32> =
        if a.has("--sweep") { (1..=base.clients / 10).map(|k| k * 10).collect() } else { vec![base.clients] };
    if clients.is_empty() {
        return Err("--sweep needs --clients of at least 10".into());
    }
    let strategies = strategies(&a, d.strategy)?;
    let points = occ::sweep(&base, &clients, &strategies).map_err(|e| e.to_string())?;
    if a.has("--csv") {
        let mut csv = String::from("clients,strategy,runs,calls_mean,time_ms_mean\n");
        for p in &points {
            let _ = writeln!(
                csv,
                "{},{},{},{:.2},{:.2}",
                p.clients,
                p.strategy.slug(),
                base.runs,
                p.calls_mean,
                p.time_ms_mean
            );
        }
        return Ok(Output::Csv(csv));
    }
    let strategy = match strategies.as_slice() {
        [one] => one.slug(),
        _ => "all",
    };
    let top = clients.last().copied().unwrap_or(base.clients);
    let counters: serde_json::Map<String, serde_json::Value> = points
        .iter()
        .filter(|p| p.clients == top)
        .flat_map(|p| {
            [
                (format!("calls_{}", p.strategy.slug()), serde_json::json!(p.calls_mean)),
                (format!("time_ms_{}", p.strategy.slug()), serde_json::json!(p.time_ms_mean)),
            ]
        })
        .collect();
    let hashed: Vec<(u32, &str, u64, u64)> = points
        .iter()
        .map(|p| (p.clients, p.strategy.slug(), p.calls_mean.to_bits(), p.time_ms_mean.to_bits()))
        .collect();
    Ok(Output::Json(serde_json::json!({
        "lab": "retries",
        "workload": "occ",
        "params": { "strategy": strategy, "clients": base.clients, "runs": base.runs, "base-ms": base.base_ms,
                    "cap-ms": base.cap_ms, "seed": base.seed.to_string(), "sweep": a.has("--sweep") },
        "seed": base.seed.to_string(),
        "counters": counters,
        "trace_hash": format!("{:016x}", idemlab_sim::trace::stable_hash(&hashed)),
        "hop": "|Normal(10 ms, 2 ms)| per message, 4 per attempt (read and conditional write)",
        "points": points,
    })))
}

fn run_fleet(words: &[String]) -> Result<Output, String> {
    let known = lab::flags::<RetriesLab>();
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let a = Args::parse(words, &known, &["--csv", "--trace", "--buckets"])?;
    if let Some(extra) = a.positional.first() {
        return Err(format!("unexpected argument {extra:?}"));
    }
    let read = lab::read_args::<RetriesLab>(&a)?;
    knob::validate(&read.params).map_err(|e| e.to_string())?;
    let run = RetriesLab::run(&read.params).map_err(|e| e.to_string())?;
    if a.has("--buckets") {
        let Some(r) = run.fleet(read.params.fleet.strategy) else {
            return Err("--buckets needs the fleet or compare view".into());
        };
        return Ok(Output::Csv(buckets_csv(r)));
    }
    let report = idemlab_sim::lab::report::<RetriesLab>(&read, &run, Vec::new());
    if a.has("--csv") {
        return Ok(Output::Csv(lab::csv::<RetriesLab>(&report)));
    }
    let mut v = serde_json::to_value(&report).map_err(|e| e.to_string())?;
    if a.has("--trace") {
        v["run"] = serde_json::to_value(&run).map_err(|e| e.to_string())?;
    }
    if let RetriesRun::Fleet(r) = &run {
        v["recovery"] = serde_json::to_value(r.recovery()).map_err(|e| e.to_string())?;
    }
    Ok(Output::Json(v))
}

fn buckets_csv(run: &fleet::FleetRun) -> String {
    let b = &run.buckets;
    let mut csv = String::from(
        "t_s,first_tries,retries,layer_calls,successes,failures,rejected,wasted,budget_refusals,throttled,budget_retries_allowed,latency_ms_p50,latency_ms_p99\n",
    );
    for i in 0..fleet::BUCKETS {
        let t = (i as u64 * b.bucket_us) as f64 / 1e6;
        let _ = writeln!(
            csv,
            "{t:.2},{},{},{},{},{},{},{},{},{},{},{},{}",
            b.first_tries[i],
            b.retries[i],
            b.layer_calls[i],
            b.successes[i],
            b.failures[i],
            b.rejected[i],
            b.wasted[i],
            b.budget_refusals[i],
            b.throttled[i],
            b.budget_tokens[i],
            b.latency_ms_p50[i],
            b.latency_ms_p99[i]
        );
    }
    csv
}
