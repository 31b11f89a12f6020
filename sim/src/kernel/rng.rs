//! Portable randomness. One `u64` seed drives a run; every client or
//! component draws from its own ChaCha8 stream derived from (seed, entity id),
//! so adding a client does not change what the others draw.
//!
//! Only integer ranges and the `libm` crate's functions are used, so the same
//! seed gives bit-identical draws natively and on wasm32 (the platform libm
//! may differ in the last bit of `ln` or `cos`; `libm` is the same code on both).

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_pcg::Pcg64;

/// Every entity id any engine draws a stream for, registered here so that
/// streams never collide by accident (a test checks they are distinct and
/// below the client range). An engine never invents an id of its own.
pub mod entity {
    /// The network (loss, delay) of a lab.
    pub const NETWORK: u64 = 1;
    /// The server side of a lab (failures, crashes, service time).
    pub const SERVER: u64 = 2;
    /// The broker or relay of the outbox lab.
    pub const BROKER: u64 = 3;
    /// The consumer of the outbox lab.
    pub const CONSUMER: u64 = 4;
    /// The outbox lab's relay (polling or log tailing).
    pub const RELAY: u64 = 16;
    /// The retries fleet's request arrivals ("RETR" in ASCII, kept from the first version so traces stay equal).
    pub const ARRIVALS: u64 = 0x5245_5452;
    /// Client `i` uses stream `CLIENT_BASE + i`.
    pub const CLIENT_BASE: u64 = 1 << 32;

    /// Every fixed id, for the distinctness test.
    pub const FIXED: [u64; 6] = [NETWORK, SERVER, BROKER, CONSUMER, RELAY, ARRIVALS];
}

/// The named, portable generator behind a stream.
#[derive(Clone, Debug)]
enum Generator {
    /// ChaCha8: the default for every engine. Boxed, because its 256-byte
    /// buffer would otherwise make every stream, PCG ones included, that big
    /// to move.
    ChaCha(Box<ChaCha8Rng>),
    /// PCG64 (XSL-RR 128/64): for hot loops that create many short streams.
    Pcg(Pcg64),
}

/// A deterministic random stream for one entity of a run.
#[derive(Clone, Debug)]
pub struct SimRng {
    inner: Generator,
}

/// SplitMix64's finaliser: spreads a seed over all 64 bits.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl SimRng {
    /// The stream of `entity` in the run seeded by `seed`.
    pub fn stream(seed: u64, entity: u64) -> SimRng {
        let mut inner = ChaCha8Rng::seed_from_u64(seed);
        inner.set_stream(entity);
        SimRng { inner: Generator::ChaCha(Box::new(inner)) }
    }

    /// A PCG64 stream of `entity` in the run seeded by `seed`, for loops that
    /// create tens of thousands of streams and draw a dozen numbers from each
    /// (the backoff study's sweep): ChaCha8 fills 256 bytes on its first draw
    /// and spent about a quarter of that sweep's instructions doing so. PCG's
    /// stream selector keeps entities independent, and it is as portable.
    pub fn light_stream(seed: u64, entity: u64) -> SimRng {
        let state = (u128::from(mix64(seed)) << 64) | u128::from(mix64(seed ^ 0x9E37_79B9_7F4A_7C15));
        SimRng { inner: Generator::Pcg(Pcg64::new(state, u128::from(entity))) }
    }

    /// A raw 64-bit draw.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        match &mut self.inner {
            Generator::ChaCha(r) => r.next_u64(),
            Generator::Pcg(r) => r.next_u64(),
        }
    }

    /// A uniform integer in `lo..=hi` (returns `lo` when `hi <= lo`).
    pub fn between_u64(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        let v = match &mut self.inner {
            Generator::ChaCha(r) => r.random_range(lo..=hi),
            Generator::Pcg(r) => r.random_range(lo..=hi),
        };
        debug_assert!((lo..=hi).contains(&v), "draw {v} outside {lo}..={hi}");
        v
    }

    /// A uniform float in `[0, 1)` with 53 random bits.
    pub fn unit_f64(&mut self) -> f64 {
        let u = (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        // 53 bits fit a double exactly, so the largest draw is 1 - 2^-53, never 1:
        // `normal` and `exponential` rely on 1 - u being above zero.
        debug_assert!((0.0..1.0).contains(&u), "unit draw {u} outside [0, 1)");
        u
    }

    /// True with probability `p` (clamped to `[0, 1]`; NaN counts as 0).
    pub fn chance(&mut self, p: f64) -> bool {
        // Written as a negated comparison on purpose: NaN must count as zero.
        #[allow(clippy::neg_cmp_op_on_partial_ord, reason = "NaN must count as zero")]
        if !(p > 0.0) {
            // Still draw, so that a knob at zero does not shift later draws.
            let _ = self.unit_f64();
            return false;
        }
        self.unit_f64() < p.min(1.0)
    }

    /// A draw from Normal(mean, sd), by Box-Muller with `libm`.
    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        // 1 - u keeps the logarithm's argument in (0, 1].
        let u1 = 1.0 - self.unit_f64();
        let u2 = self.unit_f64();
        let z = libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * core::f64::consts::PI * u2);
        mean + sd * z
    }

    /// A draw from Exp(mean), for Poisson arrivals.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        let u = 1.0 - self.unit_f64();
        -mean * libm::log(u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_entity_id_is_distinct_and_below_the_client_range() {
        let mut ids = entity::FIXED.to_vec();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), entity::FIXED.len());
        assert!(ids.iter().all(|&id| id < entity::CLIENT_BASE));
    }

    #[test]
    fn same_seed_and_entity_give_the_same_stream() {
        let mut a = SimRng::stream(7, 3);
        let mut b = SimRng::stream(7, 3);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn different_entities_draw_different_streams() {
        let mut a = SimRng::stream(7, 3);
        let mut b = SimRng::stream(7, 4);
        let same = (0..32).filter(|_| a.next_u64() == b.next_u64()).count();
        assert!(same < 2);
    }

    #[test]
    fn chacha8_stream_matches_a_pinned_value() {
        // Pinning one draw makes a silent change of generator or of the
        // seeding scheme visible: every golden trace would shift with it.
        let mut r = SimRng::stream(42, entity::NETWORK);
        let first = r.next_u64();
        assert_eq!(first, PINNED_FIRST_DRAW);
    }

    /// The first draw of stream (42, NETWORK), computed once and kept.
    const PINNED_FIRST_DRAW: u64 = 13222472167927179408;

    #[test]
    fn light_streams_are_deterministic_and_distinct_per_entity() {
        let draws = |seed, entity| {
            let mut r = SimRng::light_stream(seed, entity);
            (0..8).map(|_| r.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draws(5, 1), draws(5, 1));
        assert_ne!(draws(5, 1), draws(5, 2));
        assert_ne!(draws(5, 1), draws(6, 1));
    }

    #[test]
    fn between_is_inclusive_and_handles_empty_ranges() {
        let mut r = SimRng::stream(1, 1);
        for _ in 0..1000 {
            let v = r.between_u64(5, 7);
            assert!((5..=7).contains(&v));
        }
        assert_eq!(r.between_u64(9, 3), 9);
    }

    #[test]
    fn chance_respects_its_extremes() {
        let mut r = SimRng::stream(1, 2);
        assert!((0..1000).all(|_| !r.chance(0.0)));
        assert!((0..1000).all(|_| r.chance(1.0)));
        assert!((0..1000).all(|_| !r.chance(f64::NAN)));
    }

    #[test]
    fn normal_has_roughly_the_asked_mean() {
        let mut r = SimRng::stream(5, 5);
        let n = 20_000;
        let mean: f64 = (0..n).map(|_| r.normal(10.0, 2.0)).sum::<f64>() / n as f64;
        assert!((mean - 10.0).abs() < 0.1, "mean {mean}");
    }
}
