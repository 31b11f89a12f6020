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
mod registry;
mod retries;

use lab::Output;

/// A subcommand's entry point: its words after the command name.
type Main = fn(&[String]) -> Result<Output, String>;

type Entry = (&'static str, fn() -> String, Main);

/// The subcommands that are not a lab's (a lab's come from the registry).
const TOOLS: &[Entry] = &[
    ("url", || lab::URL_HELP.to_string(), lab::url),
    (
        "labs",
        || {
            "idemlab labs\n  Prints the lab registry as JSON: each lab's slug (its subcommand and area=), title, old\n  command names and the flags that keep a run short.".to_string()
        },
        |_| Ok(Output::Json(registry::labs_json())),
    ),
    (
        "glossary",
        || {
            "idemlab glossary\n  Prints the glossary as JSON: each word, the other forms a page writes it in, its one-sentence\n  tip and its source. The browser tests read it (tests/e2e/glossary.json).".to_string()
        },
        |_| Ok(Output::Json(glossary_json())),
    ),
    (
        "golden",
        || "idemlab golden\n  Prints every golden trace hash (engine/scenario/seed) as JSON.".to_string(),
        golden,
    ),
];

fn glossary_json() -> serde_json::Value {
    use idemlab_sim::glossary::GLOSSARY;
    serde_json::Value::Array(
        GLOSSARY
            .iter()
            .map(|e| serde_json::json!({ "word": e.word, "forms": e.forms, "tip": e.tip(), "source": e.source }))
            .collect(),
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
    let helps = registry::LAB_COMMANDS
        .iter()
        .map(|c| {
            let help = (c.help)(c.name);
            match (c.aliases.is_empty(), help.split_once('\n')) {
                (false, Some((first, rest))) => format!("{first}   (also: {})\n{rest}", c.aliases.join(", ")),
                _ => help,
            }
        })
        .chain(TOOLS.iter().map(|(_, help, _)| help()));
    for help in helps {
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

#[allow(clippy::print_stdout, clippy::print_stderr, reason = "printing is the command's job, done here only")]
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
    let (help, entry): (String, Main) = match registry::find(cmd) {
        Some(c) => ((c.help)(c.name), c.main),
        None => match TOOLS.iter().find(|(name, _, _)| name == cmd) {
            Some((_, help, entry)) => (help(), *entry),
            None => {
                eprintln!("idemlab: unknown command {cmd:?}\n");
                eprint!("{}", usage());
                std::process::exit(2);
            }
        },
    };
    if words[1..].iter().any(|w| w == "--help" || w == "-h") {
        println!("{help}");
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
