//! The CLI face of the core's lab registry (`idemlab_sim::with_labs!`): each
//! lab's subcommand is named by its slug, answers to its old names too, and
//! gets its help and entry point from [`CliLab`]. No list of labs is written
//! here: [`LAB_COMMANDS`] is generated from the registry's lines.

use crate::lab::{self, Output};
use idemlab_sim::lab::Lab;

/// What a lab's subcommand adds to the engine contract.
pub trait CliLab: Lab + 'static {
    /// Whether the subcommand takes the knob schema's flags (`--ops 5`).
    /// Races takes a scenario and a schedule as words instead, and its help
    /// names every scenario.
    const KNOB_FLAGS: bool = true;
    /// Flags that keep a run short: what the tests and the examples use.
    const QUICK: &'static [(&'static str, &'static str)];
    /// The `--help` text, under the subcommand `name`.
    fn help(name: &str) -> String;
    /// Runs the subcommand on its words.
    fn main(words: &[String]) -> Result<Output, String>;
}

/// One lab subcommand: its slug, its old names, help and entry point.
pub struct LabCommand {
    /// The subcommand: the lab's `area=` slug.
    pub name: &'static str,
    /// Older names it also answers to.
    pub aliases: &'static [&'static str],
    /// Whether it takes the knob schema's flags.
    pub knob_flags: bool,
    /// Flags that keep a run short.
    pub quick: &'static [(&'static str, &'static str)],
    /// `--help`.
    pub help: fn(&str) -> String,
    /// The entry point.
    pub main: fn(&[String]) -> Result<Output, String>,
}

macro_rules! lab_commands {
    ($($var:ident $slug:literal $title:literal $ty:path [$($alias:literal),*],)*) => {
        /// Every lab's subcommand, in the registry's order.
        pub const LAB_COMMANDS: &[LabCommand] = &[
            $(LabCommand {
                name: $slug,
                aliases: &[$($alias),*],
                knob_flags: <$ty as CliLab>::KNOB_FLAGS,
                quick: <$ty as CliLab>::QUICK,
                help: <$ty as CliLab>::help,
                main: <$ty as CliLab>::main,
            },)*
        ];
    };
}
idemlab_sim::with_labs!(lab_commands);

impl CliLab for idemlab_sim::delivery::DeliveryLab {
    const QUICK: &'static [(&'static str, &'static str)] = &[("--messages", "5")];
    fn help(name: &str) -> String {
        lab::help::<Self>(
            name,
            "Sends messages over a lossy network: without dedup, retries apply some effects twice; without retries\n  (--no-retry), some are lost. A switch reads as --dedup or --dedup on, --no-dedup or --dedup off.",
        )
    }
    fn main(words: &[String]) -> Result<Output, String> {
        lab::main::<Self>(words)
    }
}

impl CliLab for idemlab_sim::keys::KeysLab {
    const QUICK: &'static [(&'static str, &'static str)] = &[("--ops", "5")];
    fn help(name: &str) -> String {
        lab::help::<Self>(
            name,
            "Runs the Keys lab's batch: charge operations against a server with an Idempotency-Key store.",
        )
    }
    fn main(words: &[String]) -> Result<Output, String> {
        lab::main::<Self>(words)
    }
}

impl CliLab for idemlab_sim::outbox::OutboxLab {
    const QUICK: &'static [(&'static str, &'static str)] = &[("--commands", "5")];
    fn help(name: &str) -> String {
        lab::help::<Self>(
            name,
            "Runs the Outbox lab: place-order commands through a dual write, or an outbox with a relay and an inbox.",
        )
    }
    fn main(words: &[String]) -> Result<Output, String> {
        lab::main::<Self>(words)
    }
}

impl CliLab for idemlab_sim::retries::RetriesLab {
    const QUICK: &'static [(&'static str, &'static str)] =
        &[("--workload", "fleet"), ("--duration", "10"), ("--clients", "10")];
    fn help(_name: &str) -> String {
        crate::retries::help()
    }
    fn main(words: &[String]) -> Result<Output, String> {
        crate::retries::main(words)
    }
}

impl CliLab for idemlab_sim::races::RacesLab {
    const KNOB_FLAGS: bool = false;
    const QUICK: &'static [(&'static str, &'static str)] = &[];
    fn help(_name: &str) -> String {
        format!(
            "{}\n  Scenarios: {}.\n{}",
            crate::races::HELP,
            idemlab_sim::races::SCENARIO_IDS.join(" "),
            crate::races::link_keys_help()
        )
    }
    fn main(words: &[String]) -> Result<Output, String> {
        crate::races::main(words)
    }
}

/// The lab subcommand called `name`, by its slug or an old name.
pub fn find(name: &str) -> Option<&'static LabCommand> {
    LAB_COMMANDS.iter().find(|c| c.name == name || c.aliases.contains(&name))
}

/// The registry as JSON (`idemlab labs`): every lab's slug, title, old CLI
/// names and quick flags, in navigation order, and the pages that run no
/// engine. Scripts and the browser tests read the list of labs from here.
pub fn labs_json() -> serde_json::Value {
    use idemlab_sim::labs::Area;
    let labs: Vec<serde_json::Value> = LAB_COMMANDS
        .iter()
        .map(|c| {
            let title = Area::from_slug(c.name).map_or(c.name, Area::title);
            serde_json::json!({
                "slug": c.name,
                "title": title,
                "aliases": c.aliases,
                "knob_flags": c.knob_flags,
                "quick": c.quick.iter().map(|(f, v)| [*f, *v]).collect::<Vec<_>>(),
            })
        })
        .collect();
    let pages: Vec<&str> = Area::ALL.iter().filter(|a| !Area::LABS.contains(a)).map(|a| a.slug()).collect();
    serde_json::json!({ "labs": labs, "pages": pages })
}
