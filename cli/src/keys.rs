//! `idemlab keys`: the Idempotency-Key state machine, headless.

use crate::args::Args;
use idemlab_sim::backoff::Strategy;
use idemlab_sim::keys::{self, ClientPolicy, Durability, KeysParams, On5xx, Preset};

pub const HELP: &str = "idemlab keys [--preset NAME] [--ops N] [--seed S] [knobs] [--trace]
  Runs N charge operations against a server with an Idempotency-Key store and prints the
  counters (charges, double charges, silent losses, replays, 409s, 422s, 400s) and rates as JSON.
  Presets: no-key fresh-key reused-key volatile-crash short-ttl replay-5xx slow-409 correct
  (default correct). Knobs override the preset:
    --policy none|fresh|per-op|reused   --fingerprint on|off   --require-key on|off
    --on-5xx store|release              --store durable|volatile
    --request-loss PCT  --response-loss PCT  --crash-before PCT  --crash-after PCT  --provider-error PCT
    --processing-ms MS  --timeout-ms MS  --ttl-ms MS (0 = keys never expire)
    --attempts N  --backoff none|immediate|constant|exponential|full|equal|decorrelated
    --base-ms MS  --cap-ms MS";

fn on_off(a: &Args, flag: &str, default: bool) -> Result<bool, String> {
    match a.value(flag) {
        None => Ok(default),
        Some("on" | "1" | "true") => Ok(true),
        Some("off" | "0" | "false") => Ok(false),
        Some(v) => Err(format!("{flag}: {v:?} is not on or off")),
    }
}

fn slug<T: Copy>(a: &Args, flag: &str, default: T, parse: fn(&str) -> Option<T>, known: &str) -> Result<T, String> {
    match a.value(flag) {
        None => Ok(default),
        Some(v) => parse(v).ok_or_else(|| format!("{flag}: {v:?} is not one of {known}")),
    }
}

/// Reads the parameters: the preset's, then any knob given.
pub fn params(a: &Args) -> Result<(Preset, KeysParams), String> {
    let names: Vec<&str> = Preset::ALL.iter().map(|p| p.slug()).collect();
    let preset = slug(a, "--preset", Preset::Correct, Preset::from_slug, &names.join(" "))?;
    let d = preset.params();
    let p = KeysParams {
        ops: a.get("--ops", d.ops)?,
        policy: slug(a, "--policy", d.policy, ClientPolicy::from_slug, "none fresh per-op reused")?,
        fingerprint: on_off(a, "--fingerprint", d.fingerprint)?,
        require_key: on_off(a, "--require-key", d.require_key)?,
        on_5xx: slug(a, "--on-5xx", d.on_5xx, On5xx::from_slug, "store release")?,
        store: slug(a, "--store", d.store, Durability::from_slug, "durable volatile")?,
        request_loss: a.get_pct("--request-loss", d.request_loss)?,
        response_loss: a.get_pct("--response-loss", d.response_loss)?,
        crash_before_charge: a.get_pct("--crash-before", d.crash_before_charge)?,
        crash_after_charge: a.get_pct("--crash-after", d.crash_after_charge)?,
        provider_error: a.get_pct("--provider-error", d.provider_error)?,
        processing_ms: a.get("--processing-ms", d.processing_ms)?,
        timeout_ms: a.get("--timeout-ms", d.timeout_ms)?,
        key_ttl_ms: a.get("--ttl-ms", d.key_ttl_ms)?,
        attempts_max: a.get("--attempts", d.attempts_max)?,
        backoff: slug(
            a,
            "--backoff",
            d.backoff,
            Strategy::from_slug,
            "none immediate constant exponential full equal decorrelated",
        )?,
        backoff_base_ms: a.get("--base-ms", d.backoff_base_ms)?,
        backoff_cap_ms: a.get("--cap-ms", d.backoff_cap_ms)?,
        seed: a.get("--seed", d.seed)?,
    };
    Ok((preset, p))
}

pub fn main(words: &[String]) -> Result<serde_json::Value, String> {
    let a = Args::parse(
        words,
        &[
            "--preset",
            "--ops",
            "--seed",
            "--policy",
            "--fingerprint",
            "--require-key",
            "--on-5xx",
            "--store",
            "--request-loss",
            "--response-loss",
            "--crash-before",
            "--crash-after",
            "--provider-error",
            "--processing-ms",
            "--timeout-ms",
            "--ttl-ms",
            "--attempts",
            "--backoff",
            "--base-ms",
            "--cap-ms",
        ],
        &["--trace"],
    )?;
    if let Some(extra) = a.positional.first() {
        return Err(format!("unexpected argument {extra:?}"));
    }
    let (preset, p) = params(&a)?;
    let run = keys::run(&p).map_err(|e| e.to_string())?;
    let mut out = serde_json::json!({
        "preset": preset.slug(),
        "key_counter": preset.key_counter(),
        "params": run.params,
        "counters": run.counters,
        "rates": run.counters.rates(),
        "trace_hash": format!("{:016x}", run.trace.stable_hash()),
    });
    if a.has("--trace") {
        out["trace"] = serde_json::to_value(&run.trace).map_err(|e| e.to_string())?;
    }
    Ok(out)
}
