//! The CLI face of the engine contract: one generic subcommand per lab, whose
//! flags, `--help` and validation come from the lab's knob schema, and
//! `idemlab url`, which runs any permalink the app produces. Both print the
//! same envelope: `lab`, `preset`, `params` (every default filled in),
//! `seed`, `counters`, `trace_hash` (a string), `permalink`, `warnings`.

use crate::args::Args;
use idemlab_sim::knob::{self, Params};
use idemlab_sim::lab::{self, Lab, LinkRead, Report};
use idemlab_sim::permalink::Query;

/// What a lab subcommand prints: the envelope as JSON, or one CSV row.
pub enum Output {
    /// Pretty JSON.
    Json(serde_json::Value),
    /// CSV text, header first.
    Csv(String),
}

/// The `--help` text of a lab subcommand, generated from its schema.
pub fn help<L: Lab>(name: &str, about: &str) -> String {
    let presets: Vec<&str> = L::presets().iter().map(|p| p.slug).collect();
    format!(
        "idemlab {name} [--preset NAME] [KNOBS] [--csv] [--trace]\n  {about}\n  Prints the envelope {{lab, preset, params, seed, counters, trace_hash, permalink, warnings}}\n  as JSON, or one CSV row with --csv. Presets: {} (default {}). Knobs override the preset:\n{}",
        presets.join(" "),
        presets.first().copied().unwrap_or(""),
        knob::help::<L::Params>().trim_end()
    )
}

/// Reads `--preset` and every knob flag strictly: a bad value is an error.
pub fn read_args<L: Lab>(a: &Args) -> Result<LinkRead<L::Params>, String> {
    let preset = match a.value("--preset") {
        None => L::presets().first(),
        Some(s) => Some(L::preset(s).ok_or_else(|| {
            let names: Vec<&str> = L::presets().iter().map(|p| p.slug).collect();
            format!("--preset: {s:?} is not one of {}", names.join(", "))
        })?),
    };
    let mut params = preset.map_or_else(L::Params::defaults, L::preset_params);
    for k in L::Params::knobs() {
        if let Some(raw) = a.value(&format!("--{}", k.flag)) {
            (k.set)(&mut params, k.parse(raw).map_err(|e| format!("--{e}"))?);
        }
    }
    knob::validate(&params).map_err(|e| e.to_string())?;
    Ok(LinkRead { preset, params })
}

/// A switch knob also reads as a bare flag: `--dedup` is `--dedup on`, and
/// `--no-dedup` is `--dedup off` (so `--no-retry` keeps working).
pub fn switches<L: Lab>(words: &[String]) -> Vec<String> {
    let is_switch = |name: &str| L::Params::knob_by_flag(name).is_some_and(|k| matches!(k.kind, knob::KnobKind::Flag));
    let mut out = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let Some(name) = w.strip_prefix("--").filter(|n| !n.contains('=')) else {
            out.push(w.clone());
            continue;
        };
        let valued = words.get(i + 1).is_some_and(|next| !next.starts_with("--"));
        match name.strip_prefix("no-") {
            Some(base) if is_switch(base) && !is_switch(name) => out.push(format!("--{base}=off")),
            Some(_) | None if is_switch(name) && !valued => out.push(format!("--{name}=on")),
            Some(_) | None => out.push(w.clone()),
        }
    }
    out
}

/// A renamed key's old flag (`--mode` for Outbox's `--design`) read as the new one.
pub fn renamed_flags<L: Lab>(words: &[String]) -> Vec<String> {
    words
        .iter()
        .map(|w| {
            let (name, value) = match w.strip_prefix("--").map(|n| n.split_once('=').unwrap_or((n, ""))) {
                Some(parts) => parts,
                None => return w.clone(),
            };
            let renamed = L::RENAMED_KEYS.iter().find(|(old, _)| *old == name);
            match renamed.and_then(|(_, new)| L::Params::knob(new)) {
                Some(k) if L::Params::knob_by_flag(name).is_none() && value.is_empty() => format!("--{}", k.flag),
                Some(k) if L::Params::knob_by_flag(name).is_none() => format!("--{}={value}", k.flag),
                _ => w.clone(),
            }
        })
        .collect()
}

/// The flags a lab subcommand accepts.
pub fn flags<L: Lab>() -> Vec<String> {
    let mut out = vec!["--preset".to_string()];
    out.extend(L::Params::knobs().iter().map(|k| format!("--{}", k.flag)));
    out
}

/// Runs a lab subcommand.
pub fn main<L: Lab>(words: &[String]) -> Result<Output, String>
where
    L::Run: serde::Serialize,
{
    let known = flags::<L>();
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let words = switches::<L>(&renamed_flags::<L>(words));
    let a = Args::parse(&words, &known, &["--csv", "--trace"])?;
    if let Some(extra) = a.positional.first() {
        return Err(format!("unexpected argument {extra:?}"));
    }
    let read = read_args::<L>(&a)?;
    let run = L::run(&read.params).map_err(|e| e.to_string())?;
    let report = lab::report::<L>(&read, &run, Vec::new());
    if a.has("--csv") {
        return Ok(Output::Csv(csv::<L>(&report)));
    }
    let mut v = serde_json::to_value(&report).map_err(|e| e.to_string())?;
    if a.has("--trace") {
        v["run"] = serde_json::to_value(&run).map_err(|e| e.to_string())?;
    }
    Ok(Output::Json(v))
}

/// The report as a CSV header and one row.
pub fn csv<L: Lab>(report: &Report) -> String {
    format!("{}\n{}\n", report.csv_header::<L::Params>(), report.csv_row())
}

pub const URL_HELP: &str = "idemlab url 'PERMALINK' [--csv]
  Runs the lab a permalink names (the query string, with or without '?', or the whole URL) and
  prints the same envelope as the lab's own subcommand: the counters and trace hash the browser
  shows for that link. Problems with the link are listed under \"warnings\", as the page shows them.";

/// `idemlab url`.
pub fn url(words: &[String]) -> Result<Output, String> {
    let a = Args::parse(words, &[], &["--csv"])?;
    let [link] = a.positional.as_slice() else {
        return Err("give exactly one permalink, in quotes".into());
    };
    let report = idemlab_sim::labs::run_permalink(link)?;
    if a.has("--csv") {
        let mut q = Query::parse(&report.permalink);
        let area = q.area();
        return Ok(Output::Csv(idemlab_sim::labs::csv_of(area, &report)));
    }
    serde_json::to_value(&report).map(Output::Json).map_err(|e| e.to_string())
}
