//! A fast normal sampler for the hop delays of the Retries lab's engines.
//!
//! `SimRng::normal` is Box-Muller with a logarithm, a square root and a
//! cosine per draw. The study sweep draws millions of hops, so here we use
//! Marsaglia and Tsang's ziggurat (2000) with 128 layers instead: about 99 %
//! of draws take one 32-bit half of a `next_u64` and one multiplication. Its
//! tables and its rare slow paths use the `libm` crate, so the draws are
//! bit-identical on wasm32 and natively, like the rest of the core.

use crate::rng::SimRng;
use std::sync::OnceLock;

/// Layers of the ziggurat.
const LAYERS: usize = 128;
/// Where the tail begins, for 128 layers.
const R: f64 = 3.442_619_855_899;
/// The area of each layer, for 128 layers.
const V: f64 = 9.912_563_035_262_17e-3;
/// 2^-24: the uniform part of a 32-bit draw has 24 bits.
const U24: f64 = 1.0 / 16_777_216.0;

struct Tables {
    /// Right edges of the layers, widest first; `x[LAYERS]` is 0.
    x: [f64; LAYERS + 1],
    /// The density exp(-x^2 / 2) at each edge.
    f: [f64; LAYERS + 1],
}

fn density(x: f64) -> f64 {
    libm::exp(-0.5 * x * x)
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let mut x = [0.0; LAYERS + 1];
        // The base layer is a rectangle plus the tail; its width makes its
        // area equal to the others'.
        x[0] = V / density(R);
        x[1] = R;
        for i in 1..LAYERS - 1 {
            x[i + 1] = libm::sqrt(-2.0 * libm::log(V / x[i] + density(x[i])));
        }
        x[LAYERS] = 0.0;
        let mut f = [0.0; LAYERS + 1];
        for i in 0..=LAYERS {
            f[i] = density(x[i]);
        }
        Tables { x, f }
    })
}

/// A client's normal draws: its stream plus the unused half of its last
/// 64-bit draw.
#[derive(Clone, Debug)]
pub struct NormalStream {
    /// The client's stream (also used for its backoff jitter).
    pub rng: SimRng,
    spare: Option<u32>,
}

impl NormalStream {
    /// Wraps a stream.
    pub fn new(rng: SimRng) -> NormalStream {
        NormalStream { rng, spare: None }
    }

    #[inline]
    fn next_u32(&mut self) -> u32 {
        match self.spare.take() {
            Some(v) => v,
            None => {
                let w = self.rng.next_u64();
                self.spare = Some((w >> 32) as u32);
                w as u32
            }
        }
    }

    fn unit_open(&mut self) -> f64 {
        // In (0, 1], so that its logarithm is finite.
        (f64::from(self.next_u32() >> 8) + 1.0) * U24
    }

    /// A standard normal draw.
    #[inline]
    pub fn standard(&mut self) -> f64 {
        let t = tables();
        let u = self.next_u32();
        let i = (u & (LAYERS as u32 - 1)) as usize;
        let z = f64::from(u >> 8) * U24 * t.x[i];
        // The fast path: inside the layer's rectangle, under the curve.
        if z < t.x[i + 1] {
            return if u & 0x80 != 0 { -z } else { z };
        }
        self.standard_slow(u)
    }

    /// The rare draws that land in the tail or a wedge.
    #[cold]
    #[inline(never)]
    fn standard_slow(&mut self, first: u32) -> f64 {
        let t = tables();
        let mut u = first;
        loop {
            let i = (u & (LAYERS as u32 - 1)) as usize;
            let negative = u & 0x80 != 0;
            let z = f64::from(u >> 8) * U24 * t.x[i];
            let sign = |v: f64| if negative { -v } else { v };
            if z < t.x[i + 1] {
                return sign(z);
            }
            if i == 0 {
                // The tail beyond R, by Marsaglia's method.
                loop {
                    let a = -libm::log(self.unit_open()) / R;
                    let b = -libm::log(self.unit_open());
                    if 2.0 * b > a * a {
                        return sign(R + a);
                    }
                }
            }
            // The wedge between the rectangle's inner edge and the curve.
            let y = t.f[i] + (f64::from(self.next_u32() >> 8) * U24) * (t.f[i + 1] - t.f[i]);
            if y < density(z) {
                return sign(z);
            }
            u = self.next_u32();
        }
    }

    /// A draw from Normal(mean, sd).
    #[inline]
    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        mean + sd * self.standard()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ziggurat_has_the_normal_mean_spread_and_tails() {
        let mut s = NormalStream::new(SimRng::stream(11, 3));
        let n = 400_000;
        let xs: Vec<f64> = (0..n).map(|_| s.standard()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "variance {var}");
        // P(|Z| > 1) = 0.3173, P(|Z| > 2) = 0.0455, P(|Z| > 3) = 0.0027.
        for (k, p) in [(1.0, 0.3173), (2.0, 0.0455), (3.0, 0.0027)] {
            let share = xs.iter().filter(|x| x.abs() > k).count() as f64 / n as f64;
            assert!((share - p).abs() < p * 0.05 + 0.0005, "P(|Z|>{k}) = {share}, expected {p}");
        }
        assert!(xs.iter().any(|x| x.abs() > R), "the tail is never drawn");
    }

    #[test]
    fn the_tables_close_at_the_top() {
        // The last layer's edge must come out near zero, or the constants are wrong.
        let t = tables();
        assert!(t.x[LAYERS - 1] > 0.0 && t.x[LAYERS - 1] < 0.3, "{}", t.x[LAYERS - 1]);
        assert!(t.x.windows(2).all(|w| w[0] > w[1]));
    }
}
