//! The README's command-line examples run as written: every `idemlab`
//! command in its code blocks exits 0, and a refusal would print its reason.

use std::process::Command;

/// Every `idemlab` invocation in README.md's fenced code blocks, as its
/// arguments: `cargo run … --bin idemlab -- ARGS` and a bare `idemlab ARGS`.
fn readme_commands(readme: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in readme.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if !in_block {
            continue;
        }
        // A comment after the command is not an argument.
        let line = line.split(" #").next().unwrap_or("").trim();
        let args = if let Some(rest) = line.strip_prefix("cargo run").filter(|r| r.contains("--bin idemlab")) {
            match rest.split_once(" -- ") {
                Some((_, args)) => args,
                None => "",
            }
        } else if let Some(args) = line.strip_prefix("idemlab ") {
            args
        } else {
            continue;
        };
        // Quotes are the shell's: a quoted permalink is one argument without them.
        out.push(args.split_whitespace().map(|a| a.trim_matches('\'').to_string()).collect());
    }
    out
}

#[test]
fn the_extractor_reads_cargo_run_and_bare_commands_and_skips_prose() {
    let md = "Run `idemlab keys` in prose.\n```sh\ncargo run --release --bin idemlab -- keys --seed 1   # a comment\nidemlab race list\nscripts/serve\n```\nidemlab outside a block\n";
    assert_eq!(
        readme_commands(md),
        vec![vec!["keys".to_string(), "--seed".into(), "1".into()], vec!["race".into(), "list".into()]]
    );
}

#[test]
fn every_idemlab_command_in_the_readme_exits_zero() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("read README.md");
    let commands = readme_commands(&readme);
    assert!(commands.len() >= 5, "found only {} idemlab commands in README.md", commands.len());
    let mut failures = Vec::new();
    for args in &commands {
        let out = Command::new(env!("CARGO_BIN_EXE_idemlab")).args(args).output().expect("run idemlab");
        if !out.status.success() {
            failures.push(format!(
                "idemlab {} exited {:?}: {}",
                args.join(" "),
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        } else if out.stdout.is_empty() {
            failures.push(format!("idemlab {} printed nothing", args.join(" ")));
        }
    }
    assert!(failures.is_empty(), "README commands that fail:\n{}", failures.join("\n"));
}
