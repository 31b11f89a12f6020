//! Golden cases: fixed (engine, seed, parameters) runs whose trace hashes are
//! kept in `sim/golden/hashes.txt`. The native tests and the wasm32 browser
//! tests both compare these hashes to that file, which proves the engines
//! give identical traces on both targets. Every engine adds its cases here.

use crate::delivery;

/// A named run and the stable hash of its trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoldenCase {
    /// `engine/scenario/seed`, the key in the golden file.
    pub name: String,
    /// The trace's stable hash.
    pub hash: u64,
}

/// The seeds every engine is checked with.
pub const GOLDEN_SEEDS: [u64; 4] = [1, 2, 42, 0xDEAD_BEEF];

/// Computes every golden case.
pub fn cases() -> Vec<GoldenCase> {
    let mut out = Vec::new();
    for seed in GOLDEN_SEEDS {
        for dedup in [false, true] {
            let p = delivery::DeliveryParams { messages: 100, dedup, seed, ..Default::default() };
            let hash = match delivery::run(&p) {
                Ok(r) => r.trace.stable_hash(),
                Err(_) => 0,
            };
            out.push(GoldenCase { name: format!("delivery/dedup={dedup}/{seed}"), hash });
        }
    }
    crate::outbox::golden_cases(&mut out);
    crate::races::golden_cases(&mut out);
    crate::keys::golden_cases(&mut out);
    crate::retries::golden_cases(&mut out);
    out
}

/// Parses the golden file: one `name hash-in-hex` pair a line, `#` comments.
pub fn parse(text: &str) -> Vec<GoldenCase> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (name, hash) = l.split_once(char::is_whitespace)?;
            let hash = u64::from_str_radix(hash.trim().trim_start_matches("0x"), 16).ok()?;
            Some(GoldenCase { name: name.to_string(), hash })
        })
        .collect()
}

/// Renders cases in the golden file's format.
pub fn render(cases: &[GoldenCase]) -> String {
    let mut s = String::from("# name hash: regenerate with `IDEMLAB_BLESS=1 cargo test -p idemlab-sim golden`\n");
    for c in cases {
        s.push_str(&format!("{} {:016x}\n", c.name, c.hash));
    }
    s
}

/// The golden file, compiled in so the wasm32 tests can read it too.
pub const GOLDEN_FILE: &str = include_str!("../golden/hashes.txt");
