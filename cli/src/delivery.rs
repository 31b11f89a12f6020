//! `idemlab delivery`: the at-least-once demonstration.

use crate::args::Args;
use idemlab_sim::delivery::{self, DeliveryParams};

pub const HELP: &str = "idemlab delivery [--messages N] [--message-loss PCT] [--ack-loss PCT] [--no-retry] [--dedup] [--attempts N] [--seed S] [--trace]
  Sends N messages over a lossy network. Without dedup, retries apply some effects twice;
  without retries, some are lost. Prints the counters (and with --trace the records) as JSON.";

pub fn main(words: &[String]) -> Result<serde_json::Value, String> {
    let a = Args::parse(
        words,
        &["--messages", "--message-loss", "--ack-loss", "--attempts", "--seed"],
        &["--no-retry", "--dedup", "--trace"],
    )?;
    let d = DeliveryParams::default();
    let p = DeliveryParams {
        messages: a.get("--messages", d.messages)?,
        message_loss: a.get_pct("--message-loss", d.message_loss)?,
        ack_loss: a.get_pct("--ack-loss", d.ack_loss)?,
        retry: !a.has("--no-retry"),
        attempts_max: a.get("--attempts", d.attempts_max)?,
        dedup: a.has("--dedup"),
        seed: a.get("--seed", d.seed)?,
    };
    let run = delivery::run(&p).map_err(|e| e.to_string())?;
    let mut out = serde_json::json!({
        "params": run.params,
        "counters": run.counters,
        "trace_hash": format!("{:016x}", run.trace.stable_hash()),
    });
    if a.has("--trace") {
        out["trace"] = serde_json::to_value(&run.trace).map_err(|e| e.to_string())?;
    }
    Ok(out)
}
