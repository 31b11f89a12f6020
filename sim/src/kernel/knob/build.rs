//! The builders every lab declares its knobs with (`Knob::percent`,
//! `count`, `switch`, `choice`, `more`), and the percent conversions, in
//! one place: a default outside its bounds fails to compile.

use super::{Group, Knob, KnobKind, Unit};

/// Whole percents as the engines keep them: a fraction from 0 to 1.
pub fn frac_of(percent: u64) -> f64 {
    percent as f64 / 100.0
}

/// A fraction as whole percents (the schema's value of a percentage knob).
pub fn pct_of(fraction: f64) -> u64 {
    (fraction * 100.0).round() as u64
}

/// The builders every lab declares its knobs with: one per kind, each
/// shown first (in [`Group::Main`]) unless [`Knob::more`] moves it.
impl<P: 'static> Knob<P> {
    /// A whole-percentage knob (0 to 100); `get`/`set` convert with
    /// [`pct_of`] and [`frac_of`] when the engine keeps a fraction.
    #[allow(clippy::too_many_arguments, reason = "a knob is declared once, in one call with every part named in order")]
    pub const fn percent(
        key: &'static str,
        flag: &'static str,
        label: &'static str,
        default: u64,
        help: &'static str,
        get: fn(&P) -> u64,
        set: fn(&mut P, u64),
    ) -> Self {
        assert!(default <= 100, "a percentage's default is 0 to 100");
        Knob {
            key,
            flag,
            label,
            unit: Unit::Percent,
            kind: KnobKind::Percent,
            default,
            group: Group::Main,
            help,
            get,
            set,
        }
    }

    /// A whole number from `min` to `max` in `unit`, moved by `step` on a slider.
    #[allow(clippy::too_many_arguments, reason = "a knob is declared once, in one call with every part named in order")]
    pub const fn count(
        key: &'static str,
        flag: &'static str,
        label: &'static str,
        unit: Unit,
        (min, max, step): (u64, u64, u64),
        default: u64,
        help: &'static str,
        get: fn(&P) -> u64,
        set: fn(&mut P, u64),
    ) -> Self {
        assert!(min <= default && default <= max && step > 0, "a count's default lies in its bounds");
        let kind = KnobKind::Int { min, max, step };
        Knob { key, flag, label, unit, kind, default, group: Group::Main, help, get, set }
    }

    /// A switch: 0 (off) or 1 (on).
    pub const fn switch(
        key: &'static str,
        flag: &'static str,
        label: &'static str,
        default_on: bool,
        help: &'static str,
        get: fn(&P) -> u64,
        set: fn(&mut P, u64),
    ) -> Self {
        let default = if default_on { 1 } else { 0 };
        Knob { key, flag, label, unit: Unit::Count, kind: KnobKind::Flag, default, group: Group::Main, help, get, set }
    }

    /// One of `choices` (`(slug, title)`, usually a `choice_enum!`'s
    /// `CHOICES`); the value is the index, `default` the default's index.
    #[allow(clippy::too_many_arguments, reason = "a knob is declared once, in one call with every part named in order")]
    pub const fn choice(
        key: &'static str,
        flag: &'static str,
        label: &'static str,
        choices: &'static [(&'static str, &'static str)],
        default: u64,
        help: &'static str,
        get: fn(&P) -> u64,
        set: fn(&mut P, u64),
    ) -> Self {
        assert!((default as usize) < choices.len(), "a choice's default is one of its choices");
        let kind = KnobKind::Choice(choices);
        Knob { key, flag, label, unit: Unit::Count, kind, default, group: Group::Main, help, get, set }
    }

    /// The same knob, under "more faults and settings".
    pub const fn more(self) -> Self {
        Knob { group: Group::More, ..self }
    }
}
