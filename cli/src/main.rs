//! `idemlab`: the Idempotency Lab's engines, headless, printing JSON.
//!
//! Each subcommand lives in its own module with a `HELP` text and a
//! `main(words) -> Result<serde_json::Value, String>`; this file only
//! dispatches. Errors print to stderr and exit with status 2.

mod args;
mod delivery;
mod keys;
mod outbox;
mod races;
mod retries;

type Entry = (&'static str, &'static str, fn(&[String]) -> Result<serde_json::Value, String>);

/// Every subcommand: name, help, entry point.
const COMMANDS: &[Entry] = &[
    ("delivery", delivery::HELP, delivery::main),
    ("outbox", outbox::HELP, outbox::main),
    ("race", races::HELP, races::main),
    ("keys", keys::HELP, keys::main),
    ("retry", retries::HELP, retries::main),
    ("golden", "idemlab golden\n  Prints every golden trace hash (engine/scenario/seed) as JSON.", golden),
];

fn golden(_: &[String]) -> Result<serde_json::Value, String> {
    let cases = idemlab_sim::golden::cases();
    Ok(serde_json::Value::Object(
        cases.into_iter().map(|c| (c.name, serde_json::Value::String(format!("{:016x}", c.hash)))).collect(),
    ))
}

fn usage() -> String {
    let mut s = String::from(
        "idemlab: the Idempotency Lab's deterministic engines as JSON\n\nUSAGE: idemlab <COMMAND> [ARGS]\n\nCOMMANDS:\n",
    );
    for (_, help, _) in COMMANDS {
        for line in help.lines() {
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
        println!("{help}");
        return;
    }
    match entry(&words[1..]) {
        Ok(value) => match serde_json::to_string_pretty(&value) {
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
