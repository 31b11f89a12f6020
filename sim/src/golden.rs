//! The golden file's format: fixed (engine, seed, parameters) runs whose
//! trace hashes are kept in `sim/golden/hashes.txt`. The runs themselves are
//! test fixtures in `sim/golden/cases.rs`, which the native tests, the
//! wasm32 browser tests and `idemlab golden` include; equal hashes on both
//! targets prove identical traces. This module depends on no engine.

/// A named run and the stable hash of its trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoldenCase {
    /// `engine/scenario/seed`, the key in the golden file.
    pub name: String,
    /// The trace's stable hash.
    pub hash: u64,
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
