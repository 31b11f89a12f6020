//! The golden trace hashes: the same file is checked by the wasm32 browser
//! tests, so passing both proves native and wasm32 traces are identical.

use idemlab_sim::golden;
use idemlab_sim::lab::Lab;

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

#[path = "../golden/narrate.rs"]
mod narrate;

/// Where the narrated goldens are kept.
const NARRATED_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/golden/narrated");

/// The `.txt` files kept in `narrated/`, by name.
fn kept_narrations() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(NARRATED_DIR)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".txt"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn golden_narration_of_every_preset_matches_its_kept_file() {
    let now = narrate::all();
    if std::env::var_os("IDEMLAB_BLESS").is_some() {
        std::fs::create_dir_all(NARRATED_DIR).expect("create golden/narrated");
        for stale in kept_narrations().iter().filter(|k| !now.iter().any(|n| &n.file == *k)) {
            std::fs::remove_file(format!("{NARRATED_DIR}/{stale}")).expect("remove a stale narration");
        }
        for n in &now {
            std::fs::write(format!("{NARRATED_DIR}/{}", n.file), &n.text).expect("write a narration");
        }
        return;
    }
    let mut problems = Vec::new();
    for n in &now {
        match std::fs::read_to_string(format!("{NARRATED_DIR}/{}", n.file)) {
            Ok(kept) => {
                if let Some(diff) = narrate::first_difference(&kept, &n.text) {
                    problems.push(format!("sim/golden/narrated/{} differs at {diff}", n.file));
                }
            }
            Err(_) => problems.push(format!("sim/golden/narrated/{} is missing", n.file)),
        }
    }
    for stale in kept_narrations().iter().filter(|k| !now.iter().any(|n| &n.file == *k)) {
        problems.push(format!("sim/golden/narrated/{stale} belongs to no preset"));
    }
    assert!(
        problems.is_empty(),
        "the engines' narration differs from the kept files; review, then rerun with `{}`:\n{}",
        narrate::BLESS,
        problems.join("\n")
    );
}

#[test]
fn a_golden_narration_difference_names_its_first_differing_line() {
    assert_eq!(narrate::first_difference("a\nb\n", "a\nb\n"), None);
    assert_eq!(narrate::first_difference("a\nb\nc\n", "a\nB\nc\n"), Some("line 2\n  kept: b\n  now:  B".to_string()));
    assert_eq!(
        narrate::first_difference("a\n", "a\nb\n"),
        Some("line 2\n  kept: (end of file)\n  now:  b".to_string())
    );
}

#[test]
fn every_preset_of_every_lab_has_a_bounded_golden_narration() {
    let all = narrate::all();
    struct Presets;
    impl idemlab_sim::labs::LabVisitor for Presets {
        type Out = usize;
        fn lab<L: Lab + 'static>(self) -> usize {
            L::presets().len()
        }
    }
    let presets: usize = idemlab_sim::labs::Area::LABS.iter().filter_map(|a| a.visit(Presets)).sum();
    assert_eq!(all.len(), presets);
    for n in &all {
        let lines = n.text.lines().count();
        assert!(lines > 3, "{} tells nothing: {}", n.file, n.text);
        assert!(lines < narrate::STEP_LINES_MAX + 80, "{} has {lines} lines", n.file);
        assert!(
            n.text.lines().next().is_some_and(|h| h.contains(narrate::BLESS)),
            "{}'s header names the bless command",
            n.file
        );
    }
}
