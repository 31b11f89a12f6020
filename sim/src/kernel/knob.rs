//! The knob schema: every parameter of every lab is declared once, here in
//! the core, as a [`Knob`]. That one declaration drives the engine's
//! `validate()`, the permalink reader and writer, the CLI's flags and
//! `--help`, the slider's range and label, and the page prose that mentions a
//! default. No bound or default is written twice.
//!
//! Values travel as `u64` so that one parser serves every knob: a whole
//! number is itself, a percentage is whole percents (0 to 100, stored by the
//! engines as a fraction), a switch is 0 or 1, a choice is its index in the
//! knob's list, and a seed is any `u64`.

use crate::error::SimError;
use serde::Serialize;

/// What a knob's number means, for its label and for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A plain count (operations, clients, attempts).
    Count,
    /// Whole percents, 0 to 100.
    Percent,
    /// Simulated milliseconds.
    Ms,
    /// Simulated seconds.
    Seconds,
    /// Requests per second.
    PerSecond,
}

impl Unit {
    /// The suffix written after a value on screen (`"40 %"`, `"200 ms"`).
    pub fn suffix(self) -> &'static str {
        match self {
            Unit::Count => "",
            Unit::Percent => " %",
            Unit::Ms => " ms",
            Unit::Seconds => " s",
            Unit::PerSecond => " /s",
        }
    }

    /// The unit's name in CSV headers and `--help`.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Percent => "percent",
            Unit::Ms => "ms",
            Unit::Seconds => "s",
            Unit::PerSecond => "per_s",
        }
    }
}

/// The shape of a knob's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnobKind {
    /// A whole number from `min` to `max`; a slider moves it by `step`.
    Int {
        /// Smallest value.
        min: u64,
        /// Largest value.
        max: u64,
        /// A slider's step.
        step: u64,
    },
    /// Whole percents from 0 to 100.
    Percent,
    /// A switch: 0 (off) or 1 (on).
    Flag,
    /// One of a fixed list of `(slug, title)`; the value is the index.
    Choice(&'static [(&'static str, &'static str)]),
    /// A run's seed: any `u64`, written in decimal.
    Seed,
}

impl KnobKind {
    /// The smallest and largest values the knob takes.
    pub fn bounds(self) -> (u64, u64) {
        match self {
            KnobKind::Int { min, max, .. } => (min, max),
            KnobKind::Percent => (0, 100),
            KnobKind::Flag => (0, 1),
            KnobKind::Choice(list) => (0, list.len().saturating_sub(1) as u64),
            KnobKind::Seed => (0, u64::MAX),
        }
    }

    /// A slider's step (1 for every kind but `Int`).
    pub fn step(self) -> u64 {
        match self {
            KnobKind::Int { step, .. } => step.max(1),
            KnobKind::Percent | KnobKind::Flag | KnobKind::Choice(_) | KnobKind::Seed => 1,
        }
    }
}

/// Where a knob sits on the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// Shown first: the knobs the lab's lesson turns on.
    Main,
    /// Under "more faults and settings".
    More,
}

/// One parameter of a lab, declared once.
pub struct Knob<P: 'static> {
    /// The permalink key (`?rqloss=20`); short, because links are shared.
    pub key: &'static str,
    /// The CLI flag without its dashes (`--request-loss 20`).
    pub flag: &'static str,
    /// The label on screen and in `--help`.
    pub label: &'static str,
    /// What the number means.
    pub unit: Unit,
    /// The values it takes.
    pub kind: KnobKind,
    /// Its default, in the schema's `u64` form.
    pub default: u64,
    /// Where it sits on the page.
    pub group: Group,
    /// One sentence on what it does, shown on focus and in `--help`.
    pub help: &'static str,
    /// Reads the knob from the engine's parameters.
    pub get: fn(&P) -> u64,
    /// Writes the knob into the engine's parameters (the value is in range).
    pub set: fn(&mut P, u64),
}

mod build;
mod field;
pub use build::{frac_of, pct_of};
pub use field::{Field, FieldKind, FieldValue};

impl<P> Knob<P> {
    /// Reads a value strictly: the form the CLI, presets and `validate` use.
    /// A value outside the bounds, a fraction where whole percents are
    /// expected, or an unknown slug is an error that says what to write.
    pub fn parse(&self, raw: &str) -> Result<u64, String> {
        let raw = raw.trim();
        let v = match self.kind {
            KnobKind::Flag => match raw {
                "1" | "true" | "on" | "yes" => 1,
                "0" | "false" | "off" | "no" => 0,
                _ => return Err(format!("{}: {:?} is not on or off (1 or 0)", self.flag, clip(raw))),
            },
            KnobKind::Choice(list) => match list.iter().position(|(slug, _)| *slug == raw) {
                Some(i) => i as u64,
                None => {
                    let names: Vec<&str> = list.iter().map(|(s, _)| *s).collect();
                    return Err(format!("{}: {:?} is not one of {}", self.flag, clip(raw), names.join(", ")));
                }
            },
            KnobKind::Percent => {
                let digits = raw.strip_suffix('%').map(str::trim_end).unwrap_or(raw);
                match digits.parse::<u64>() {
                    Ok(v) => v,
                    Err(_) if digits.parse::<f64>().is_ok() => {
                        return Err(format!(
                            "{}: {:?} is not a whole percentage; write percents from 0 to 100 (20 means 20 %)",
                            self.flag,
                            clip(raw)
                        ))
                    }
                    Err(_) => return Err(format!("{}: {:?} is not a percentage from 0 to 100", self.flag, clip(raw))),
                }
            }
            KnobKind::Int { .. } | KnobKind::Seed => {
                raw.parse::<u64>().map_err(|_| format!("{}: {:?} is not a whole number", self.flag, clip(raw)))?
            }
        };
        let (min, max) = self.kind.bounds();
        if v < min || v > max {
            return Err(format!("{}: {v} is outside {min}..{max}", self.flag));
        }
        Ok(v)
    }

    /// Reads a value leniently: the form a permalink uses. Never fails: an
    /// out-of-range number is clamped and anything else falls back to
    /// `fallback`, each with a warning that names the problem.
    pub fn parse_lenient(&self, raw: &str, fallback: u64) -> (u64, Option<String>) {
        let read = self.parse_lenient_unchecked(raw, fallback);
        // A permalink's value is used as read, so it must be one the schema allows
        // (`fallback` is a default or an already validated value).
        debug_assert!(self.holds(read.0), "{}={} read from a link is outside its bounds", self.key, read.0);
        read
    }

    /// True when `v` is within the knob's bounds.
    fn holds(&self, v: u64) -> bool {
        let (min, max) = self.kind.bounds();
        (min..=max).contains(&v)
    }

    fn parse_lenient_unchecked(&self, raw: &str, fallback: u64) -> (u64, Option<String>) {
        match self.parse(raw) {
            Ok(v) => (v, None),
            Err(_) => {
                let (min, max) = self.kind.bounds();
                let as_int = raw.trim().trim_end_matches('%').trim().parse::<i128>();
                match (self.kind, as_int) {
                    (KnobKind::Int { .. } | KnobKind::Percent, Ok(v)) => {
                        let c = v.clamp(i128::from(min), i128::from(max)) as u64;
                        (c, Some(format!("{}={v} is outside {min}..{max}; using {}.", self.key, self.show(c))))
                    }
                    _ => (
                        fallback,
                        Some(format!(
                            "{}={:?} is not {}; using {}.",
                            self.key,
                            clip(raw),
                            self.expects(),
                            self.show(fallback)
                        )),
                    ),
                }
            }
        }
    }

    /// What the knob expects, in words.
    pub fn expects(&self) -> String {
        match self.kind {
            KnobKind::Int { min, max, .. } => format!("a whole number from {min} to {max}"),
            KnobKind::Percent => "a whole percentage from 0 to 100".into(),
            KnobKind::Flag => "1 or 0".into(),
            KnobKind::Choice(list) => {
                let names: Vec<&str> = list.iter().map(|(s, _)| *s).collect();
                format!("one of {}", names.join(", "))
            }
            KnobKind::Seed => "a seed (a whole number from 0 to 2^64-1)".into(),
        }
    }

    /// The value as a permalink and the CLI write it (a slug for a choice).
    pub fn show(&self, v: u64) -> String {
        match self.kind {
            KnobKind::Choice(list) => list.get(v as usize).map_or("?", |(s, _)| *s).to_string(),
            KnobKind::Int { .. } | KnobKind::Percent | KnobKind::Flag | KnobKind::Seed => v.to_string(),
        }
    }

    /// The value as a learner reads it (`"20 %"`, `"On"`, a choice's title).
    pub fn show_human(&self, v: u64) -> String {
        match self.kind {
            KnobKind::Choice(list) => list.get(v as usize).map_or("?", |(_, t)| *t).to_string(),
            KnobKind::Flag => if v == 1 { "on" } else { "off" }.to_string(),
            KnobKind::Int { .. } | KnobKind::Percent | KnobKind::Seed => format!("{v}{}", self.unit.suffix()),
        }
    }

    /// The value as JSON shows it: a number, a boolean or a slug.
    pub fn json_value(&self, v: u64) -> KnobJson {
        match self.kind {
            KnobKind::Flag => KnobJson::Bool(v == 1),
            KnobKind::Choice(_) => KnobJson::Text(self.show(v)),
            KnobKind::Int { .. } | KnobKind::Percent => KnobJson::Number(v),
            // A seed may exceed 2^53, where JavaScript and jq lose digits.
            KnobKind::Seed => KnobJson::Text(v.to_string()),
        }
    }

    /// The knob's line in `--help`.
    pub fn help_line(&self) -> String {
        let values = match self.kind {
            KnobKind::Int { min, max, .. } => format!("{min}..{max} {}", self.unit.name()),
            KnobKind::Percent => "0..100 percent".into(),
            KnobKind::Flag => "on|off".into(),
            KnobKind::Choice(list) => list.iter().map(|(s, _)| *s).collect::<Vec<_>>().join("|"),
            KnobKind::Seed => "0..2^64-1".into(),
        };
        let default = match self.kind {
            KnobKind::Flag => if self.default == 1 { "on" } else { "off" }.to_string(),
            KnobKind::Int { .. } | KnobKind::Percent | KnobKind::Choice(_) | KnobKind::Seed => self.show(self.default),
        };
        format!("--{:<18} {} [{values}; default {default}]", self.flag, self.label)
    }
}

/// Declares an enum whose values a [`KnobKind::Choice`] knob picks: each
/// variant with its slug (permalinks, CLI, JSON) and its title (on screen),
/// written once. It derives `ALL` (display order), `CHOICES` (for the
/// schema), `slug`, `title`, `from_slug`, `index` and `from_index`, and
/// serialises as the slug, so JSON shows what the CLI accepts.
#[macro_export]
macro_rules! choice_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = ($slug:literal, $title:literal) ),+ $(,)?
        }
    ) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $slug)] $variant ),+
        }

        impl $name {
            /// Every value, in the order the lab lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// `(slug, title)` of every value, in the order of `ALL`.
            pub const CHOICES: &'static [(&'static str, &'static str)] = &[$(($slug, $title)),+];

            /// The position in `ALL`: the knob schema's value.
            pub fn index(self) -> usize {
                Self::ALL.iter().position(|x| *x == self).unwrap_or(0)
            }

            /// The value at `i` in `ALL` (the first one when out of range).
            pub fn from_index(i: u64) -> Self {
                Self::ALL.get(i as usize).copied().unwrap_or(Self::ALL[0])
            }

            /// The name in permalinks, on the command line and in JSON.
            pub fn slug(self) -> &'static str {
                Self::CHOICES[self.index()].0
            }

            /// The label for people.
            pub fn title(self) -> &'static str {
                Self::CHOICES[self.index()].1
            }

            /// Reads a value from its slug.
            pub fn from_slug(s: &str) -> Option<Self> {
                Self::CHOICES.iter().position(|(x, _)| *x == s).map(|i| Self::ALL[i])
            }
        }
    };
}

/// The seed knob every lab has, declared once: `seed_knob!(default)` for a
/// `seed` field, `seed_knob!(default, fleet.seed)` for a nested one.
#[macro_export]
macro_rules! seed_knob {
    ($default:expr) => {
        $crate::seed_knob!($default, seed)
    };
    ($default:expr, $($field:ident).+) => {
        $crate::knob::Knob {
            key: "seed",
            flag: "seed",
            label: "Seed",
            unit: $crate::knob::Unit::Count,
            kind: $crate::knob::KnobKind::Seed,
            default: $default,
            group: $crate::knob::Group::More,
            help: "One seed drives every random draw of the run: the same seed and knobs give the same run everywhere.",
            get: |p| p.$($field).+,
            set: |p, v| p.$($field).+ = v,
        }
    };
}

/// A knob's value in JSON output.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum KnobJson {
    /// A whole number or whole percents.
    Number(u64),
    /// A switch.
    Bool(bool),
    /// A choice's slug, or a seed written in decimal.
    Text(String),
}

/// An engine's parameters, described by a knob schema.
pub trait Params: Clone + PartialEq + Sized + 'static {
    /// Every knob, in the order the page and `--help` list them.
    fn knobs() -> &'static [Knob<Self>];

    /// The parameters whose value is not one number (a schedule, a
    /// handler's text), declared like knobs; most labs have none.
    fn fields() -> &'static [Field<Self>] {
        &[]
    }

    /// The field with permalink key `key`.
    fn field(key: &str) -> Option<&'static Field<Self>> {
        Self::fields().iter().find(|f| f.key == key)
    }

    /// The parameters that are not knobs (engine limits, fixed delays), with
    /// placeholder knob values that [`Params::defaults`] overwrites.
    fn base() -> Self;

    /// Checks what one knob cannot: relations between knobs (a cap at least
    /// its base, say). The schema's bounds are checked by [`validate`].
    fn validate_relations(&self) -> Result<(), SimError> {
        Ok(())
    }

    /// The base with every knob at its default.
    fn defaults() -> Self {
        let mut p = Self::base();
        for k in Self::knobs() {
            debug_assert!(k.holds(k.default), "{}'s default {} is outside its own bounds", k.key, k.default);
            (k.set)(&mut p, k.default);
        }
        // Each knob owns its field: setting one never changes another's reading.
        debug_assert!(
            Self::knobs().iter().all(|k| (k.get)(&p) == k.default),
            "a knob's default does not read back from the defaults"
        );
        p
    }

    /// The knob with permalink key `key`.
    fn knob(key: &str) -> Option<&'static Knob<Self>> {
        Self::knobs().iter().find(|k| k.key == key)
    }

    /// The knob with CLI flag `flag` (without dashes).
    fn knob_by_flag(flag: &str) -> Option<&'static Knob<Self>> {
        Self::knobs().iter().find(|k| k.flag == flag)
    }
}

/// Checks every knob against its schema bounds, then the relations between
/// knobs. Engines call this first, so no value outside the schema ever runs.
pub fn validate<P: Params>(p: &P) -> Result<(), SimError> {
    for k in P::knobs() {
        let v = (k.get)(p);
        let (min, max) = k.kind.bounds();
        if v < min || v > max {
            return Err(SimError::InvalidParameter {
                name: k.flag,
                reason: format!("must be {}, not {}", k.expects(), v),
            });
        }
    }
    // Every value must be exactly what the schema can say: a fraction that is
    // no whole percentage, or NaN, reads back differently. Each knob is checked
    // with every other knob rewritten from its reading, so a NaN (which never
    // equals itself) is blamed on its own knob, not on the first one.
    let mut normal = p.clone();
    for k in P::knobs() {
        (k.set)(&mut normal, (k.get)(p));
    }
    if normal != *p {
        for k in P::knobs() {
            let mut only_k = p.clone();
            for j in P::knobs().iter().filter(|j| j.key != k.key) {
                (j.set)(&mut only_k, (j.get)(p));
            }
            if only_k != normal {
                return Err(SimError::InvalidParameter { name: k.flag, reason: format!("must be {}", k.expects()) });
            }
        }
    }
    p.validate_relations()
}

/// Every knob's value as `(permalink key, value as written)`.
pub fn to_pairs<P: Params>(p: &P) -> Vec<(&'static str, String)> {
    P::knobs().iter().map(|k| (k.key, k.show((k.get)(p)))).collect()
}

/// Every knob's value for JSON output, keyed by CLI flag name, so that what
/// the CLI prints it also accepts.
pub fn to_json<P: Params>(p: &P) -> Vec<(&'static str, KnobJson)> {
    P::knobs().iter().map(|k| (k.flag, k.json_value((k.get)(p)))).collect()
}

/// Applies `(key, value)` overrides strictly, as a preset's are: an unknown
/// key or a bad value is an error naming it.
pub fn apply_strict<P: Params>(p: &mut P, pairs: &[(&str, &str)]) -> Result<(), String> {
    for (key, raw) in pairs {
        let k = P::knob(key).ok_or_else(|| format!("no knob called {key:?}"))?;
        (k.set)(p, k.parse(raw)?);
    }
    Ok(())
}

/// The `--help` lines of every knob.
pub fn help<P: Params>() -> String {
    P::knobs().iter().map(|k| format!("    {}\n", k.help_line())).collect()
}

/// Shortens hostile input before it is echoed in a message.
fn clip(s: &str) -> String {
    crate::permalink::clip(s)
}

#[cfg(test)]
#[path = "knob_tests.rs"]
mod tests;
