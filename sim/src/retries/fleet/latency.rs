//! Latency histograms: log-linear bins, four per doubling, and percentiles
//! read from them, so a run keeps 96 counters per bucket instead of every
//! latency.

/// Bins of the latency histograms (log-linear, four per doubling).
pub(super) const LAT_BINS: usize = 96;

pub(super) fn lat_bin(us: u64) -> usize {
    let ms = us / 1_000;
    if ms < 4 {
        return ms as usize;
    }
    let octave = 63 - ms.leading_zeros() as usize;
    let sub = ((ms >> (octave - 2)) & 3) as usize;
    (4 + (octave - 2) * 4 + sub).min(LAT_BINS - 1)
}

/// The upper edge of a latency bin, in milliseconds.
pub(super) fn lat_bin_upper_ms(bin: usize) -> u64 {
    if bin < 4 {
        return bin as u64 + 1;
    }
    let octave = (bin - 4) / 4 + 2;
    let sub = ((bin - 4) % 4) as u64;
    ((4 + sub + 1) << (octave - 2)).max(1)
}

pub(super) fn percentile_ms(hist: &[u32], q: f64) -> u64 {
    let total: u64 = hist.iter().map(|&c| u64::from(c)).sum();
    if total == 0 {
        return 0;
    }
    let want = ((total as f64) * q).ceil().max(1.0) as u64;
    let mut seen = 0u64;
    for (bin, &c) in hist.iter().enumerate() {
        seen += u64::from(c);
        if seen >= want {
            return lat_bin_upper_ms(bin);
        }
    }
    lat_bin_upper_ms(hist.len() - 1)
}
