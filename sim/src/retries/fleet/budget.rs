//! Finagle's RetryBudget, as `RetryBudget(ttl, minRetriesPerSec,
//! percentCanRetry)` builds it: a token count over a sliding window of `ttl`.
//!
//! - Every request deposits 1,000 units; a retry withdraws 1,000 /
//!   percentCanRetry units (10,000 at 10 %), so retries stay under that share
//!   of the window's requests.
//! - Deposits and withdrawals count for `ttl` only: they sit in ten slices of
//!   ttl / 10 (Finagle's `WindowedAdder`), and a slice older than the window
//!   is dropped.
//! - The floor, minRetriesPerSec, is a fixed reserve of minRetriesPerSec ×
//!   ttl retries added to the window's sum, so a quiet client may still
//!   retry that often. A retry is allowed while the sum with the reserve
//!   holds a whole withdrawal.
//!
//! Libraries keep one budget per client. With `BudgetScope::Shared` the
//! whole fleet draws on one, reserve included: the labelled alternative.

use super::params::{BudgetScope, FleetParams};

/// Slices of a window, as in Finagle's `WindowedAdder` for the budget.
const SLICES: u64 = 10;

/// Every budget of one run: one per client, or one for the fleet.
pub(super) struct Budgets {
    withdrawal: i64,
    reserve: i64,
    slice_us: u64,
    shared: bool,
    /// Per budget: deposits minus withdrawals in each slice of its window.
    rings: Vec<[i64; SLICES as usize]>,
    /// Per budget: the slice number its ring was last brought up to.
    at: Vec<u64>,
}

/// A request's deposit, in Finagle's units (its `ScaleFactor`).
const DEPOSIT: i64 = 1_000;

impl Budgets {
    /// The run's budgets, or `None` without one (`budget_pct` 0).
    pub(super) fn new(p: &FleetParams) -> Option<Budgets> {
        if p.budget_pct == 0 {
            return None;
        }
        // DEPOSIT / (percent / 100): the units a retry costs.
        let withdrawal = DEPOSIT * 100 / i64::from(p.budget_pct);
        let (shared, n) = match p.budget_scope {
            BudgetScope::PerClient => (false, p.clients as usize),
            BudgetScope::Shared => (true, 1),
        };
        Some(Budgets {
            withdrawal,
            reserve: i64::from(p.min_retries_per_s) * i64::from(p.budget_ttl_s) * withdrawal,
            slice_us: (u64::from(p.budget_ttl_s) * 1_000_000 / SLICES).max(1),
            shared,
            rings: vec![[0; SLICES as usize]; n],
            at: vec![0; n],
        })
    }

    /// The budget `client` draws on, with its window brought up to `now`,
    /// and the slice `now` falls in.
    fn window(&mut self, client: u32, now: u64) -> (&mut [i64; SLICES as usize], usize) {
        let owner = if self.shared { 0 } else { client as usize };
        let slice = now / self.slice_us;
        let ring = &mut self.rings[owner];
        let last = self.at[owner];
        debug_assert!(slice >= last, "the budget's clock went back");
        // Slices last+1 ..= slice start empty; past a whole window, all do.
        for k in 0..slice.saturating_sub(last).min(SLICES) {
            ring[((slice - k) % SLICES) as usize] = 0;
        }
        self.at[owner] = slice.max(last);
        (ring, (slice % SLICES) as usize)
    }

    /// A request of `client` starts: it deposits into its budget.
    pub(super) fn deposit(&mut self, client: u32, now: u64) {
        let (ring, i) = self.window(client, now);
        ring[i] += DEPOSIT;
    }

    /// Whether `client`'s budget allows a retry at `now` (Finagle's
    /// `tryWithdraw`, without the withdrawal: see [`Budgets::withdraw`]).
    pub(super) fn allows(&mut self, client: u32, now: u64) -> bool {
        let (reserve, withdrawal) = (self.reserve, self.withdrawal);
        let (ring, _) = self.window(client, now);
        reserve + ring.iter().sum::<i64>() >= withdrawal
    }

    /// `client` retries at `now`: the retry is withdrawn from its budget.
    pub(super) fn withdraw(&mut self, client: u32, now: u64) {
        let (reserve, withdrawal) = (self.reserve, self.withdrawal);
        let (ring, i) = self.window(client, now);
        // The engine asks `allows` first, at the same instant: a budget is never overdrawn by a retry.
        debug_assert!(reserve + ring.iter().sum::<i64>() >= withdrawal, "a retry withdrawn past its budget");
        ring[i] -= withdrawal;
    }

    /// Finagle's `tryWithdraw`: withdraws a retry if the budget allows one.
    #[cfg(test)]
    fn try_withdraw(&mut self, client: u32, now: u64) -> bool {
        let ok = self.allows(client, now);
        if ok {
            self.withdraw(client, now);
        }
        ok
    }

    /// Retries the budgets would allow at `now`, summed over every budget:
    /// what the budget chart draws.
    pub(super) fn retries_allowed(&mut self, now: u64) -> u64 {
        let (reserve, withdrawal) = (self.reserve, self.withdrawal);
        (0..self.rings.len() as u32)
            .map(|b| {
                let (ring, _) = self.window(b, now);
                ((reserve + ring.iter().sum::<i64>()).max(0) / withdrawal) as u64
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budgets(pct: u32, min_per_s: u32, scope: BudgetScope, clients: u32) -> Budgets {
        let p = FleetParams {
            budget_pct: pct,
            min_retries_per_s: min_per_s,
            budget_scope: scope,
            clients,
            ..Default::default()
        };
        Budgets::new(&p).unwrap()
    }

    #[test]
    fn ten_requests_earn_one_retry_at_ten_percent() {
        let mut b = budgets(10, 0, BudgetScope::PerClient, 2);
        for _ in 0..9 {
            b.deposit(0, 0);
        }
        assert!(!b.try_withdraw(0, 0));
        b.deposit(0, 0);
        assert!(b.try_withdraw(0, 0) && !b.try_withdraw(0, 0));
        // Client 1's budget earned nothing from client 0's requests.
        assert!(!b.try_withdraw(1, 0));
    }

    #[test]
    fn deposits_expire_after_the_ttl() {
        let mut b = budgets(10, 0, BudgetScope::PerClient, 1);
        for _ in 0..10 {
            b.deposit(0, 0);
        }
        assert!(b.try_withdraw(0, 9_999_999), "the deposit counts for the whole window");
        let mut b = budgets(10, 0, BudgetScope::PerClient, 1);
        for _ in 0..10 {
            b.deposit(0, 0);
        }
        assert!(!b.try_withdraw(0, 10_000_000), "a deposit outlived the 10 s window");
    }

    #[test]
    fn the_floor_allows_min_retries_per_second_times_the_ttl_to_each_client() {
        let mut b = budgets(20, 10, BudgetScope::PerClient, 3);
        for client in 0..3 {
            let n = (0..1_000).take_while(|_| b.try_withdraw(client, 0)).count();
            assert_eq!(n, 100, "client {client}");
        }
        let mut shared = budgets(20, 10, BudgetScope::Shared, 3);
        let n: usize = (0..3).map(|c| (0..1_000).take_while(|_| shared.try_withdraw(c, 0)).count()).sum();
        assert_eq!(n, 100, "a shared budget has one floor");
    }
}
