//! The lab registry (`idemlab_sim::with_labs!`) is the one list of labs:
//! everything that enumerates them is generated from it. This test reads the
//! tracked tree and fails on a hand-written list anywhere else, and keeps
//! `tests/e2e/labs.json` (the browser tests' list) equal to `idemlab labs`.

use idemlab_sim::labs::Area;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
/// The registry itself: the only file allowed to name every lab.
const REGISTRY: &str = "sim/src/labs.rs";

fn idemlab(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_idemlab")).args(args).output().expect("run idemlab");
    assert!(out.status.success(), "idemlab {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Every tracked source file the test reads (Rust and the browser tests).
fn tracked_sources() -> Vec<PathBuf> {
    let out = Command::new("git").args(["ls-files", "-co", "--exclude-standard"]).current_dir(ROOT).output();
    let out = out.expect("git ls-files");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|f| f.ends_with(".rs") || f.ends_with(".mjs"))
        .filter(|f| *f != REGISTRY && *f != "cli/tests/registry.rs" && !f.contains("node_modules/"))
        .map(PathBuf::from)
        .collect()
}

/// The names a hand-written list of labs would use: each lab's slug and old
/// CLI names in quotes, its `Area::` variant and its engine's type name.
fn lab_names() -> Vec<Vec<String>> {
    let registry = std::fs::read_to_string(Path::new(ROOT).join(REGISTRY)).expect("registry");
    Area::LABS
        .iter()
        .map(|a| {
            let variant = format!("{a:?}");
            let line = registry
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{variant} \"")))
                .unwrap_or_else(|| panic!("the registry has no line for {variant}"));
            let engine = line.split("::").last().and_then(|t| t.split_whitespace().next()).unwrap_or("").to_string();
            let mut names = vec![format!("Area::{variant}"), engine];
            for slug in std::iter::once(a.slug()).chain(a.cli_aliases().iter().copied()) {
                names.push(format!("'{slug}'"));
                names.push(format!("\"{slug}\""));
            }
            names
        })
        .collect()
}

/// Windows of `WINDOW` lines in which three or more labs are named: a list.
/// A table of test cases that happen to touch several labs (each with its
/// own preset and expected answer) is not a list of the labs; it says so
/// with the marker [`CASES`] on its first line.
const WINDOW: usize = 6;
/// The marker of a per-lab table of test cases.
const CASES: &str = "registry: cases";

fn lists_in(text: &str, labs: &[Vec<String>]) -> Vec<usize> {
    // A marker covers its block: the lines after it up to the next blank line.
    let mut covered = false;
    let lines: Vec<&str> = text
        .lines()
        .map(|l| {
            covered = (covered && !l.trim().is_empty()) || l.contains(CASES);
            if covered {
                ""
            } else {
                l
            }
        })
        .collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let window = lines[i..(i + WINDOW).min(lines.len())].join("\n");
        let named = labs.iter().filter(|names| names.iter().any(|n| window.contains(n.as_str()))).count();
        if named >= 3 {
            let names_a_lab = |l: &&str| labs.iter().flatten().any(|n| l.contains(n.as_str()));
            let first = lines[i..].iter().position(names_a_lab).unwrap_or(0);
            found.push(i + first + 1);
            i += first + WINDOW;
        } else {
            i += 1;
        }
    }
    found
}

#[test]
fn no_list_of_labs_is_written_outside_the_registry() {
    let labs = lab_names();
    let mut offenders = Vec::new();
    for file in tracked_sources() {
        let Ok(text) = std::fs::read_to_string(Path::new(ROOT).join(&file)) else { continue };
        for line in lists_in(&text, &labs) {
            offenders.push(format!("{}:{line}", file.display()));
        }
    }
    assert!(
        offenders.is_empty(),
        "these places name three or more labs by hand; generate them from the registry \
         ({REGISTRY}: Area::LABS, Area::visit, with_labs!, or tests/e2e/labs.json):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_list_finder_sees_a_hand_written_list() {
    let labs = lab_names();
    let js = "const AREAS = ['about', 'keys', 'retries', 'outbox'];";
    assert_eq!(lists_in(js, &labs), vec![1]);
    let rs = "check::<KeysLab>();\ncheck::<OutboxLab>();\ncheck::<RacesLab>();";
    assert_eq!(lists_in(rs, &labs), vec![1]);
    assert!(lists_in("area=keys and 'outbox'", &labs).is_empty());
    let cases = format!("// {CASES}: one preset per lab\nconst C = [\n['keys', 1],\n['outbox', 2],\n['races', 3]];");
    assert!(lists_in(&cases, &labs).is_empty());
    // The marker ends at the block's end: a list after a blank line is seen.
    assert_eq!(lists_in(&format!("{cases}\n\n{js}"), &labs), vec![7]);
}

#[test]
fn the_browser_tests_list_of_labs_is_the_registry() {
    let want = idemlab(&["labs"]);
    let path = Path::new(ROOT).join("tests/e2e/labs.json");
    if std::env::var_os("IDEMLAB_BLESS").is_some() {
        std::fs::write(&path, &want).expect("write tests/e2e/labs.json");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(have, want, "tests/e2e/labs.json is stale: rerun with IDEMLAB_BLESS=1");
    let v: serde_json::Value = serde_json::from_str(&want).expect("JSON");
    let slugs: Vec<&str> = v["labs"].as_array().unwrap().iter().map(|l| l["slug"].as_str().unwrap()).collect();
    let areas: Vec<&str> = Area::LABS.iter().map(|a| a.slug()).collect();
    assert_eq!(slugs, areas);
}

#[test]
fn every_lab_answers_to_its_slug_and_its_old_cli_names() {
    for a in Area::LABS {
        for name in std::iter::once(a.slug()).chain(a.cli_aliases().iter().copied()) {
            let help = idemlab(&[name, "--help"]);
            assert!(help.contains(&format!("idemlab {}", a.slug())), "idemlab {name} --help: {help}");
        }
    }
}

#[test]
fn the_browser_tests_glossary_is_the_glossary_table() {
    let want = idemlab(&["glossary"]);
    let path = Path::new(ROOT).join("tests/e2e/glossary.json");
    if std::env::var_os("IDEMLAB_BLESS").is_some() {
        std::fs::write(&path, &want).expect("write tests/e2e/glossary.json");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(have, want, "tests/e2e/glossary.json is stale: rerun with IDEMLAB_BLESS=1");
    let v: serde_json::Value = serde_json::from_str(&want).expect("JSON");
    let words: Vec<&str> = v.as_array().unwrap().iter().map(|e| e["word"].as_str().unwrap()).collect();
    for needed in ["jitter", "READ COMMITTED", "Retry-After", "42P10", "charge_created", "WAL"] {
        assert!(words.contains(&needed), "the glossary lacks {needed}");
    }
}
