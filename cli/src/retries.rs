//! `idemlab retry`: the Retries lab's engines, headless.

use crate::args::Args;
use idemlab_sim::backoff::Strategy;
use idemlab_sim::retries::{fleet, occ};
use std::fmt::Write as _;

pub const HELP: &str =
    "idemlab retry --workload occ|fleet [--strategy NAME|all] [--clients N] [--runs R] [--seed S] [knobs] [--csv]
  occ:   the AWS backoff study (N clients updating one row under optimistic concurrency).
         Prints mean writes (calls) and time until the last client finished, per strategy.
         --runs R (default 100), --sweep (every client count from 10 to N by 10),
         --base-ms (5), --cap-ms (2000). --strategy all runs none, exponential, full, equal, decorrelated.
  fleet: N clients sending --rate requests/s for --duration s to a server of --capacity req/s
         with a --queue bound (503 + --retry-after-ms when full), --error-rate PCT 500s,
         --client-error-rate PCT 400s, --outage FROM-TO seconds, --layers N each retrying
         --layer-retries K times. Client: --attempts N, --timeout-ms, --base-ms (100), --cap-ms (5000),
         --budget PCT (0 = none) with --burst tokens, --ignore-retry-after.
  Strategies: none, immediate, constant, exponential, full, equal, decorrelated.
  --csv prints CSV instead of JSON (occ: one row per strategy and client count; fleet: one row per bucket).";

const KNOWN: &[&str] = &[
    "--workload",
    "--strategy",
    "--clients",
    "--runs",
    "--seed",
    "--base-ms",
    "--cap-ms",
    "--rate",
    "--duration",
    "--attempts",
    "--timeout-ms",
    "--budget",
    "--burst",
    "--capacity",
    "--queue",
    "--retry-after-ms",
    "--error-rate",
    "--client-error-rate",
    "--outage",
    "--layers",
    "--layer-retries",
];
const SWITCHES: &[&str] = &["--csv", "--sweep", "--ignore-retry-after"];

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

pub fn main(words: &[String]) -> Result<serde_json::Value, String> {
    let a = Args::parse(words, KNOWN, SWITCHES)?;
    match a.value("--workload").unwrap_or("occ") {
        "occ" => run_occ(&a),
        "fleet" => run_fleet(&a),
        other => Err(format!("--workload: {other:?} is neither occ nor fleet")),
    }
}

/// CSV goes to stdout as it is, not inside a JSON string, so the command
/// ends here once it has printed it.
fn print_csv_and_exit(csv: &str) -> ! {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let code = i32::from(out.write_all(csv.as_bytes()).and_then(|()| out.flush()).is_err());
    std::process::exit(code)
}

fn run_occ(a: &Args) -> Result<serde_json::Value, String> {
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
    let strategies = strategies(a, d.strategy)?;
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
        print_csv_and_exit(&csv);
    }
    Ok(serde_json::json!({
        "workload": "occ",
        "params": { "runs": base.runs, "base_ms": base.base_ms, "cap_ms": base.cap_ms, "seed": base.seed,
                    "hop": "|Normal(10 ms, 2 ms)| per message, 4 per attempt (read and conditional write)" },
        "points": points,
    }))
}

fn run_fleet(a: &Args) -> Result<serde_json::Value, String> {
    let d = fleet::FleetParams::default();
    let (outage_from_s, outage_to_s) = match a.value("--outage") {
        None => (d.outage_from_s, d.outage_to_s),
        Some("none") => (0, 0),
        Some(v) => {
            let (f, t) = v
                .split_once('-')
                .ok_or_else(|| format!("--outage: write FROM-TO in seconds, e.g. 20-25, not {v:?}"))?;
            let parse =
                |s: &str| s.trim().parse::<u32>().map_err(|_| format!("--outage: cannot read {s:?} as seconds"));
            (parse(f)?, parse(t)?)
        }
    };
    let strategy = match strategies(a, d.strategy)?.as_slice() {
        [one] => *one,
        _ => return Err("--strategy all is for the occ workload; the fleet runs one strategy".into()),
    };
    let p = fleet::FleetParams {
        clients: a.get("--clients", d.clients)?,
        rate_rps: a.get("--rate", d.rate_rps)?,
        duration_s: a.get("--duration", d.duration_s)?,
        strategy,
        base_ms: a.get("--base-ms", d.base_ms)?,
        cap_ms: a.get("--cap-ms", d.cap_ms)?,
        attempts_max: a.get("--attempts", d.attempts_max)?,
        timeout_ms: a.get("--timeout-ms", d.timeout_ms)?,
        budget_pct: a.get("--budget", d.budget_pct)?,
        budget_burst: a.get("--burst", d.budget_burst)?,
        honour_retry_after: !a.has("--ignore-retry-after"),
        capacity_rps: a.get("--capacity", d.capacity_rps)?,
        queue_max: a.get("--queue", d.queue_max)?,
        retry_after_ms: a.get("--retry-after-ms", d.retry_after_ms)?,
        error_rate: a.get_pct("--error-rate", d.error_rate)?,
        client_error_rate: a.get_pct("--client-error-rate", d.client_error_rate)?,
        outage_from_s,
        outage_to_s,
        layers: a.get("--layers", d.layers)?,
        layer_retries: a.get("--layer-retries", d.layer_retries)?,
        seed: a.get("--seed", d.seed)?,
    };
    if a.value("--runs").is_some_and(|r| r != "1") {
        return Err("--runs is for the occ workload; the fleet is one run (change --seed for another)".into());
    }
    let run = fleet::run(&p).map_err(|e| e.to_string())?;
    if a.has("--csv") {
        let b = &run.buckets;
        let mut csv = String::from(
            "t_s,first_tries,retries,layer_calls,successes,failures,rejected,wasted,budget_refusals,budget_tokens,latency_ms_p50,latency_ms_p99\n",
        );
        for i in 0..fleet::BUCKETS {
            let t = (i as u64 * b.bucket_us) as f64 / 1e6;
            let _ = writeln!(
                csv,
                "{t:.2},{},{},{},{},{},{},{},{},{},{},{}",
                b.first_tries[i],
                b.retries[i],
                b.layer_calls[i],
                b.successes[i],
                b.failures[i],
                b.rejected[i],
                b.wasted[i],
                b.budget_refusals[i],
                b.budget_tokens[i],
                b.latency_ms_p50[i],
                b.latency_ms_p99[i]
            );
        }
        print_csv_and_exit(&csv);
    }
    let t = &run.totals;
    Ok(serde_json::json!({
        "workload": "fleet",
        "params": run.params,
        "totals": t,
        "amplification": t.amplification(),
        "attempts_per_request": t.attempts_per_request(),
        "success_rate": t.success_rate(),
        "hash": format!("{:016x}", run.stable_hash()),
    }))
}
