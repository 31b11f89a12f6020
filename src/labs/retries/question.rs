//! Retries' predict-first question: the wave when the outage ends. It stands
//! in front of the first time bucket after the outage; the answer is read
//! from the run's recovery (the starred "peak after the outage" counter and
//! the 503s after it), so it changes with the strategy, jitter and budget.

use crate::shell::Question;
use idemlab_sim::retries::fleet::{BudgetScope, FleetRun, BUCKETS};

/// The choices, the same for every run; the run picks the right one.
pub const CHOICES: &[&str] = &[
    "It stays within the server's capacity: the server keeps up at once.",
    "A wave above capacity, which the queue absorbs: no 503s after the outage.",
    "A wave that overflows the queue: the server turns calls away with 503 after the outage.",
];

/// Indexes into [`CHOICES`].
const WITHIN: usize = 0;
const ABSORBED: usize = 1;
const OVERFLOW: usize = 2;

/// The question about the end of the run's outage, when it has one that
/// ends before the run does.
pub fn question(run: &FleetRun) -> Option<Question> {
    let p = &run.params;
    if p.outage_to_s <= p.outage_from_s {
        return None;
    }
    let rec = run.recovery();
    if rec.from_bucket >= BUCKETS {
        return None;
    }
    let answer = match (rec.rejected_after > 0, rec.peak_ratio > 1.0) {
        (true, _) => OVERFLOW,
        (false, true) => ABSORBED,
        (false, false) => WITHIN,
    };
    let title = p.strategy.title();
    let mut how = title.get(..1).map_or_else(String::new, str::to_lowercase) + title.get(1..).unwrap_or("");
    if p.budget_pct > 0 {
        let whose = match p.budget_scope {
            BudgetScope::PerClient => "per client",
            BudgetScope::Shared => "shared by the fleet",
        };
        how += &format!(", with a retry budget of {} retries per 100 requests, {whose}", p.budget_pct);
    }
    if p.grpc_max_tokens > 0 {
        how += ", with gRPC retry throttling";
    }
    if p.adaptive_k_tenths > 0 {
        how += &format!(", with adaptive throttling (K = {})", f64::from(p.adaptive_k_tenths) / 10.0);
    }
    let question = format!(
        "The outage ends at {} s and the server is back, with a capacity of {} calls per second. The clients retry with {how}. What does the offered load look like after the outage?",
        p.outage_to_s, p.capacity_rps
    );
    let tail = if rec.rejected_after == 0 {
        "the queue never overflowed after the outage".to_string()
    } else if rec.recovered {
        format!(
            "the queue overflowed: the server turned {} calls away with 503 until {:.1} s after the outage",
            rec.rejected_after,
            rec.overload_ms / 1000.0
        )
    } else {
        format!(
            "the queue overflowed: the server was still turning calls away with 503 when the run ended ({} calls)",
            rec.rejected_after
        )
    };
    let explain = format!(
        "After the outage the offered load peaked at {:.0} calls per second, {:.2}× the server's capacity (the evidence counter “Peak offered load after the outage”), and {tail}. Step on through the buckets from step {} to watch it.",
        rec.peak_rps,
        rec.peak_ratio,
        rec.from_bucket + 1
    );
    Some(Question {
        id: "retries-after-outage".into(),
        question,
        choices: CHOICES.to_vec(),
        answer,
        explain,
        step: rec.from_bucket + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use idemlab_sim::lab::Lab;
    use idemlab_sim::retries::{RetriesLab, RetriesRun};

    fn fleet_of(slug: &str) -> FleetRun {
        let mut p = RetriesLab::preset_params(RetriesLab::preset(slug).expect("preset"));
        p.view = idemlab_sim::retries::View::Fleet;
        match RetriesLab::run(&p).expect("run") {
            RetriesRun::Fleet(f) => f,
            RetriesRun::Compare { .. } | RetriesRun::Study(_) => panic!("not a fleet run"),
        }
    }

    #[test]
    fn the_right_answer_follows_the_strategy_and_the_budget() {
        let answers: Vec<(&str, usize)> = ["outage", "herd", "wave", "wave-jitter", "cap", "budget"]
            .into_iter()
            .filter_map(|s| question(&fleet_of(s)).map(|q| (s, q.answer)))
            .collect();
        let of = |s: &str| answers.iter().find(|(k, _)| *k == s).map(|(_, a)| *a);
        // The wave without jitter overflows the small queue; the cap preset's recovery wave
        // overflows too, and its budgeted twin holds the load back.
        assert_eq!(of("wave"), Some(OVERFLOW), "{answers:?}");
        assert_eq!(of("cap"), Some(OVERFLOW), "{answers:?}");
        assert_eq!(of("budget"), Some(WITHIN), "{answers:?}");
        assert_eq!(of("herd"), Some(ABSORBED), "{answers:?}");
    }

    #[test]
    fn the_question_stands_before_the_first_bucket_after_the_outage() {
        let run = fleet_of("outage");
        let q = question(&run).expect("an outage");
        assert_eq!(q.step, run.recovery().from_bucket + 1);
        assert!(q.explain.contains(&format!("{:.2}×", run.recovery().peak_ratio)), "{}", q.explain);
    }
}
