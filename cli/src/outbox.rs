//! `idemlab outbox`: dual writes, the transactional outbox and the inbox.

use crate::args::Args;
use idemlab_sim::outbox::{self, Mode, OutboxParams};

pub const HELP: &str = "idemlab outbox --mode N [--commands C] [--seed S] [knobs] [--trace]
  Runs N = 1 write-then-publish, 2 publish-then-write, 3 outbox + polling relay (no dedup),
  4 outbox + polling relay + inbox, 5 outbox + log-tailing relay + inbox.
  Fault knobs, each a percentage: --crash (service crash between its writes), --commit-fail,
  --broker-unavailable, --ack-lost (publish stored, ack lost), --relay-crash (after publish,
  before mark), --consumer-crash (after effect, before ack), --broker-duplicate.
  Other knobs: --aggregates A, --gap-ms MS, --delay-ms-max MS, --publish-attempts N,
  --deliveries-max N, --poll-ms MS, --batch N, --horizon-ms MS, --events-max N.
  Prints the counters (events lost, ghost events, duplicate effects, relay lag...) as JSON.";

pub fn main(words: &[String]) -> Result<serde_json::Value, String> {
    let a = Args::parse(
        words,
        &[
            "--mode",
            "--commands",
            "--seed",
            "--aggregates",
            "--gap-ms",
            "--crash",
            "--commit-fail",
            "--broker-unavailable",
            "--ack-lost",
            "--relay-crash",
            "--consumer-crash",
            "--broker-duplicate",
            "--delay-ms-max",
            "--publish-attempts",
            "--deliveries-max",
            "--poll-ms",
            "--batch",
            "--horizon-ms",
            "--events-max",
        ],
        &["--trace"],
    )?;
    let d = OutboxParams::default();
    let n: u8 = a.get("--mode", d.mode.number())?;
    let mode = Mode::from_number(n).ok_or_else(|| format!("--mode: {n} is not a mode; use 1 to 5"))?;
    let p = OutboxParams {
        mode,
        commands: a.get("--commands", d.commands)?,
        aggregates: a.get("--aggregates", d.aggregates)?,
        command_gap_ms: a.get("--gap-ms", d.command_gap_ms)?,
        crash: a.get_pct("--crash", d.crash)?,
        commit_fail: a.get_pct("--commit-fail", d.commit_fail)?,
        broker_unavailable: a.get_pct("--broker-unavailable", d.broker_unavailable)?,
        ack_lost: a.get_pct("--ack-lost", d.ack_lost)?,
        relay_crash: a.get_pct("--relay-crash", d.relay_crash)?,
        consumer_crash: a.get_pct("--consumer-crash", d.consumer_crash)?,
        broker_duplicate: a.get_pct("--broker-duplicate", d.broker_duplicate)?,
        delay_ms_max: a.get("--delay-ms-max", d.delay_ms_max)?,
        publish_attempts_max: a.get("--publish-attempts", d.publish_attempts_max)?,
        deliveries_max: a.get("--deliveries-max", d.deliveries_max)?,
        poll_ms: a.get("--poll-ms", d.poll_ms)?,
        batch_max: a.get("--batch", d.batch_max)?,
        horizon_ms: a.get("--horizon-ms", d.horizon_ms)?,
        events_max: a.get("--events-max", d.events_max)?,
        seed: a.get("--seed", d.seed)?,
    };
    let run = outbox::run(&p).map_err(|e| e.to_string())?;
    let mut out = serde_json::json!({
        "mode": { "number": mode.number(), "title": mode.title() },
        "params": run.params,
        "counters": run.counters,
        "trace_hash": format!("{:016x}", run.trace.stable_hash()),
    });
    if a.has("--trace") {
        out["trace"] = serde_json::to_value(&run.trace).map_err(|e| e.to_string())?;
    }
    Ok(out)
}
