//! `idemlab`: the Idempotency Lab's engines, headless, printing JSON.
//!
//! Each lab under the engine contract is one generic subcommand (`lab.rs`)
//! whose flags come from its knob schema; `url` runs any permalink. The
//! other subcommands live in their own modules with a `HELP` text and a
//! `main(words)`; this file only dispatches. Errors print to stderr and exit
//! with status 2.

mod args;
#[path = "../../sim/golden/cases.rs"]
mod golden_cases;
mod lab;
mod races;
mod retries;

use idemlab_sim::delivery::DeliveryLab;
use idemlab_sim::keys::KeysLab;
use idemlab_sim::outbox::OutboxLab;
use lab::Output;

type Entry = (&'static str, fn() -> String, fn(&[String]) -> Result<Output, String>);

/// Every subcommand: name, help, entry point.
const COMMANDS: &[Entry] = &[
    ("url", || lab::URL_HELP.to_string(), lab::url),
    ("delivery", delivery_help, lab::main::<DeliveryLab>),
    ("keys", keys_help, lab::main::<KeysLab>),
    ("retry", retries::help, retries::main),
    ("outbox", outbox_help, lab::main::<OutboxLab>),
    ("race", || races::HELP.to_string(), races::main),
    (
        "golden",
        || "idemlab golden\n  Prints every golden trace hash (engine/scenario/seed) as JSON.".to_string(),
        golden,
    ),
];

fn keys_help() -> String {
    lab::help::<KeysLab>(
        "keys",
        "Runs the Keys lab's batch: charge operations against a server with an Idempotency-Key store.",
    )
}

fn delivery_help() -> String {
    lab::help::<DeliveryLab>(
        "delivery",
        "Sends messages over a lossy network: without dedup, retries apply some effects twice; without retries\n  (--no-retry), some are lost. A switch reads as --dedup or --dedup on, --no-dedup or --dedup off.",
    )
}

fn outbox_help() -> String {
    lab::help::<OutboxLab>(
        "outbox",
        "Runs the Outbox lab: place-order commands through a dual write, or an outbox with a relay and an inbox.",
    )
}

fn golden(_: &[String]) -> Result<Output, String> {
    let cases = golden_cases::cases();
    Ok(Output::Json(serde_json::Value::Object(
        cases.into_iter().map(|c| (c.name, serde_json::Value::String(format!("{:016x}", c.hash)))).collect(),
    )))
}

fn usage() -> String {
    let mut s = String::from(
        "idemlab: the Idempotency Lab's deterministic engines as JSON\n\nUSAGE: idemlab <COMMAND> [ARGS]\n\nCOMMANDS:\n",
    );
    for (_, help, _) in COMMANDS {
        for line in help().lines() {
            s.push_str("  ");
            s.push_str(line);
            s.push('\n');
        }
        s.push('\n');
    }
    s.push_str("Same seed and arguments, same output, on every machine.\n");
    s
}

fn main() {
    let words: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = words.first() else {
        eprint!("{}", usage());
        std::process::exit(2);
    };
    if cmd == "--help" || cmd == "-h" || cmd == "help" {
        print!("{}", usage());
        return;
    }
    let Some((_, help, entry)) = COMMANDS.iter().find(|(name, _, _)| name == cmd) else {
        eprintln!("idemlab: unknown command {cmd:?}\n");
        eprint!("{}", usage());
        std::process::exit(2);
    };
    if words[1..].iter().any(|w| w == "--help" || w == "-h") {
        println!("{}", help());
        return;
    }
    match entry(&words[1..]) {
        Ok(Output::Csv(text)) => print!("{text}"),
        Ok(Output::Json(value)) => match serde_json::to_string_pretty(&value) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("idemlab: {e}");
                std::process::exit(2);
            }
        },
        Err(msg) => {
            eprintln!("idemlab {cmd}: {msg}");
            std::process::exit(2);
        }
    }
}
