//! The words of a Keys step-through's ending: the outcome the caption says
//! with the last step, and the ledger lines' tones.

use idemlab_sim::keys::view::Tone;
use idemlab_sim::keys::KeysRun;

/// How the step-through's operations ended, from its counters: what the
/// provider charged, what the client believes, and the verdict.
pub(super) fn outcome_words(run: &KeysRun) -> String {
    let c = &run.counters;
    let plural = |n: u32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let verdict = if c.double_charges > 0 {
        "double charge"
    } else if c.silent_losses > 0 {
        "the client believes in a charge that never happened"
    } else if c.rejected_but_charged > 0 {
        "refused, yet charged"
    } else if c.gave_up_but_charged > 0 {
        "the client gave up, yet the card was charged"
    } else if c.gave_up > 0 {
        "the client gave up without knowing"
    } else if c.rejected > 0 {
        "refused and not charged"
    } else {
        "each operation charged once"
    };
    format!(
        "{} for {}, the client believes {} charged: {verdict}",
        plural(c.charges, "charge", "charges"),
        plural(c.intended, "operation", "operations"),
        c.believed_charged
    )
}

/// The class and mark of a ledger line's tone (the mark, so tone is not colour alone).
pub(super) fn tone_class(t: Tone) -> (&'static str, &'static str) {
    match t {
        Tone::Good => ("keys-good", "✓ "),
        Tone::Bad => ("keys-bad", "⚠ "),
        Tone::Neutral => ("keys-neutral", "• "),
    }
}
