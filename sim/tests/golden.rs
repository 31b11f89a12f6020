//! The golden trace hashes: the same file is checked by the wasm32 browser
//! tests, so passing both proves native and wasm32 traces are identical.

use idemlab_sim::golden;

#[path = "../golden/cases.rs"]
mod golden_cases;

#[test]
fn golden_trace_hashes_match_the_kept_file() {
    let computed = golden_cases::cases();
    if std::env::var_os("IDEMLAB_BLESS").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/golden/hashes.txt");
        std::fs::write(path, golden::render(&computed)).expect("write golden file");
        return;
    }
    let kept = golden::parse(golden::GOLDEN_FILE);
    assert_eq!(
        kept.len(),
        computed.len(),
        "golden file has {} cases, engines produce {}: rerun with IDEMLAB_BLESS=1 after reviewing the change",
        kept.len(),
        computed.len()
    );
    for (k, c) in kept.iter().zip(&computed) {
        assert_eq!(k, c, "trace changed for {}", c.name);
    }
}
