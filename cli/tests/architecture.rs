//! `docs/architecture.md` matches the tree: every folder its code map names
//! exists, and every folder holding a file git tracks is named, so the map
//! a newcomer reads cannot drift from the code.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The folders the code map names: each line `- \`path/\`: …`, as `path`.
fn named_folders(doc: &str) -> Vec<String> {
    doc.lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.split_once('`'))
        .filter_map(|(path, _)| path.strip_suffix('/'))
        .map(str::to_string)
        .collect()
}

/// Every folder that holds a tracked file, with its parents: `a/b/c.rs`
/// gives `a` and `a/b`.
fn tracked_folders(files: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for f in files.lines() {
        let mut path = f;
        while let Some((dir, _)) = path.rsplit_once('/') {
            out.insert(dir.to_string());
            path = dir;
        }
    }
    out
}

fn git_ls_files() -> String {
    let out = Command::new("git")
        .args(["-C", ROOT, "-c", "core.quotepath=off", "ls-files"])
        .output()
        .expect("run git ls-files (the map is checked against the tracked tree)");
    assert!(out.status.success(), "git ls-files failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("git ls-files prints UTF-8")
}

fn architecture() -> String {
    std::fs::read_to_string(format!("{ROOT}/docs/architecture.md")).expect("read docs/architecture.md")
}

#[test]
fn the_map_reader_takes_the_folder_of_each_map_line_and_the_parents_of_each_file() {
    let doc = "# Map\n- `sim/src/`: the core\n- `a.rs`: a file, not a folder\nText `tests/` in prose.\n- `tests/e2e/`: browsers\n";
    assert_eq!(named_folders(doc), vec!["sim/src".to_string(), "tests/e2e".to_string()]);
    let tracked = tracked_folders("README.md\nsim/src/kernel/time.rs\ntests/e2e/a.mjs\n");
    let want: BTreeSet<String> = ["sim", "sim/src", "sim/src/kernel", "tests", "tests/e2e"].map(String::from).into();
    assert_eq!(tracked, want);
}

#[test]
fn every_folder_the_architecture_map_names_exists() {
    let named = named_folders(&architecture());
    assert!(named.len() >= 20, "the code map names only {} folders", named.len());
    let missing: Vec<&String> = named.iter().filter(|d| !Path::new(ROOT).join(d).is_dir()).collect();
    assert!(missing.is_empty(), "docs/architecture.md names folders that do not exist: {missing:?}");
    let mut seen = BTreeSet::new();
    let twice: Vec<&String> = named.iter().filter(|d| !seen.insert(d.as_str())).collect();
    assert!(twice.is_empty(), "docs/architecture.md names a folder on two lines: {twice:?}");
}

#[test]
fn every_tracked_folder_is_named_in_the_architecture_map() {
    let named: BTreeSet<String> = named_folders(&architecture()).into_iter().collect();
    let tracked = tracked_folders(&git_ls_files());
    assert!(tracked.contains("sim") && tracked.contains("src"), "git ls-files saw no tree: {tracked:?}");
    let unnamed: Vec<&String> = tracked.difference(&named).collect();
    assert!(
        unnamed.is_empty(),
        "folders with tracked files that docs/architecture.md does not name (add a line like - `path/`: what it holds): {unnamed:?}"
    );
}
