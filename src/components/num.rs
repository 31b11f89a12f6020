//! Numbers for SVG attributes, written without `core::fmt`'s float code.
//!
//! A Retries knob change redraws six charts: about 3,500 coordinates, each
//! formatted with `{:.1}` or `{:.2}`. Rust's float formatting with a
//! precision runs an exact decimal conversion for every number, which in the
//! page's size-optimised wasm is a few microseconds each (issue 13). A chart
//! coordinate needs one or two decimals of a number well inside ±10⁹, so
//! scaling, rounding to an integer and writing its digits gives the same text
//! (ties may round the other way: a twentieth of a pixel) at a fraction of the cost.

/// Appends `x` with `decimals` digits after the point (0 to 3), as
/// `format!("{x:.decimals$}")` would, except that a tie may round the other
/// way and a negative number that rounds to zero is written "0". A number
/// that is not finite is written "0"; one too large for the fast path goes
/// through `core::fmt`.
pub fn push_fixed(out: &mut String, x: f64, decimals: u32) {
    let decimals = decimals.min(3);
    let scale = 10u64.pow(decimals);
    if !x.is_finite() {
        out.push('0');
        return;
    }
    let scaled = (x * scale as f64).round();
    if scaled.abs() >= 1e15 {
        use std::fmt::Write;
        let _ = write!(out, "{x:.prec$}", prec = decimals as usize);
        return;
    }
    // Exact: |scaled| < 10¹⁵ < 2⁵³.
    let n = scaled.abs() as u64;
    if scaled < 0.0 && n != 0 {
        out.push('-');
    }
    push_digits(out, n / scale, 1);
    if decimals > 0 {
        out.push('.');
        push_digits(out, n % scale, decimals as usize);
    }
}

/// `x` with `decimals` digits after the point, as [`push_fixed`] writes it.
pub fn fixed(x: f64, decimals: u32) -> String {
    let mut s = String::with_capacity(12);
    push_fixed(&mut s, x, decimals);
    s
}

/// Appends the decimal digits of `n`, padded with zeros to `width`.
fn push_digits(out: &mut String, mut n: u64, width: usize) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    while n > 0 || buf.len() - i < width {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or("0"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_core_fmt_writes_away_from_ties() {
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            // A small xorshift: spread values over many magnitudes and signs.
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let mag = 10f64.powi((rng % 12) as i32 - 3);
            let x = ((rng >> 12) as f64 / (1u64 << 52) as f64 - 0.25) * mag;
            for d in 0..=3u32 {
                let want = format!("{x:.prec$}", prec = d as usize);
                let got = fixed(x, d);
                // A tie (the digit after the last one is 5 with nothing after
                // it in the binary value) may round either way; skip those.
                let tail = (x.abs() * 10f64.powi(d as i32)).fract();
                if (tail - 0.5).abs() < 1e-6 {
                    continue;
                }
                if want == "-0" || want.starts_with("-0.") && want.trim_start_matches("-0.").bytes().all(|b| b == b'0')
                {
                    assert_eq!(got, want.trim_start_matches('-'), "{x} with {d} decimals");
                } else {
                    assert_eq!(got, want, "{x} with {d} decimals");
                }
            }
        }
    }

    #[test]
    fn pads_and_signs() {
        assert_eq!(fixed(0.0, 1), "0.0");
        assert_eq!(fixed(12.0, 2), "12.00");
        assert_eq!(fixed(0.05, 2), "0.05");
        assert_eq!(fixed(-3.26, 1), "-3.3");
        assert_eq!(fixed(3.25, 1), "3.3", "a tie rounds away from zero (core::fmt writes 3.2)");
        assert_eq!(fixed(-0.01, 1), "0.0");
        assert_eq!(fixed(502.0, 0), "502");
        assert_eq!(fixed(f64::NAN, 1), "0");
        assert_eq!(fixed(f64::INFINITY, 2), "0");
        assert_eq!(fixed(1e20, 1), format!("{:.1}", 1e20));
    }
}
