//! `idemlab url` reproduces what the browser shows for a permalink: for every
//! preset of every lab under the engine contract, the CLI's trace hash equals
//! the one kept in `sim/golden/permalinks.txt`, which the wasm32 browser
//! tests (`tests/web.rs`) check against the same links. Equal on both sides
//! means the link reproduces the run.

use std::process::Command;

const KEPT: &str = include_str!("../../sim/golden/permalinks.txt");

fn url(link: &str) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_idemlab")).args(["url", link]).output().expect("run idemlab");
    assert_eq!(out.status.code(), Some(0), "{link}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

fn kept() -> Vec<(String, String)> {
    KEPT.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once(' ').map(|(a, b)| (a.to_string(), b.trim().to_string())))
        .collect()
}

#[test]
fn every_preset_permalink_reproduces_its_kept_trace_hash_in_idemlab_url() {
    let links = idemlab_sim::labs::preset_links();
    if std::env::var_os("IDEMLAB_BLESS").is_some() {
        let mut text = String::from("# permalink trace-hash: every preset of every lab; regenerate with IDEMLAB_BLESS=1 cargo test -p idemlab-cli --test url\n");
        for l in &links {
            text.push_str(&format!("{l} {}\n", url(l)["trace_hash"].as_str().unwrap()));
        }
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/../sim/golden/permalinks.txt"), text).unwrap();
        return;
    }
    let kept = kept();
    let kept_links: Vec<&str> = kept.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(kept_links, links, "the presets changed: rerun with IDEMLAB_BLESS=1 after reviewing");
    for (link, hash) in &kept {
        let v = url(link);
        assert_eq!(v["trace_hash"].as_str(), Some(hash.as_str()), "{link}");
        assert_eq!(v["warnings"].as_array().map(Vec::len), Some(0), "{link}: {}", v["warnings"]);
        assert!(v["preset"].is_string(), "{link}");
        assert_eq!(v["permalink"].as_str(), Some(link.as_str()), "the report's own permalink is the link");
    }
}

#[test]
fn a_whole_url_a_bare_query_and_a_query_with_a_question_mark_give_the_same_run() {
    let (link, _) = &kept()[0];
    let bare = link.trim_start_matches('?');
    let whole = format!("https://course.example/lab/index.html{link}#anchor");
    let a = url(link);
    assert_eq!(url(bare), a);
    assert_eq!(url(&whole), a);
}

#[test]
fn a_hostile_link_runs_the_default_setup_and_lists_what_was_wrong() {
    let v = url("?area=keys&preset=nope&rsloss=900&policy=evil&bogus=1");
    let warnings = v["warnings"].as_array().unwrap();
    assert!(warnings.len() >= 4, "{warnings:?}");
    assert_eq!(v["params"]["response-loss"], 100, "clamped to the schema's bound");
    let out = Command::new(env!("CARGO_BIN_EXE_idemlab")).args(["url", "?area=recall"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a link to a page with no engine run is an error with a message");
    // An unknown area shows About, as the browser does, and says so.
    let v = url("?area=nowhere");
    assert_eq!(v["lab"], "about");
    assert!(v["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("nowhere")), "{v}");
}

/// Links that carry a learner's handler (`handler=`, `lanes=`, a schedule),
/// with their kept trace hashes; `tests/web.rs` checks the same file in wasm.
const HANDLER_KEPT: &str = include_str!("../../sim/golden/handler-links.txt");

fn handler_links() -> Vec<String> {
    let text = |id: &str| idemlab_sim::races::scenario(id).unwrap().sql;
    let mut out = Vec::new();
    for (handler, extra) in [
        (text("select-then-insert"), vec![]),
        (text("select-then-insert"), vec![("lanes", "3"), ("schedule", "1,2,3,1,2,3")]),
        (text("on-conflict"), vec![("lanes", "3"), ("mode", "side"), ("against", "select-then-insert")]),
        (text("volatile-store"), vec![("schedule", "1,1,1,2,3,3,3")]),
    ] {
        let mut q = idemlab_sim::permalink::Query::default();
        q.set("area", "races");
        q.set("handler", handler);
        for (k, v) in extra {
            q.set(k, v);
        }
        out.push(q.to_search());
    }
    out
}

#[test]
fn a_link_with_a_handler_reproduces_its_kept_trace_hash_in_idemlab_url() {
    let links = handler_links();
    if std::env::var_os("IDEMLAB_BLESS").is_some() {
        let mut text = String::from("# permalink trace-hash: links with a learner's handler; regenerate with IDEMLAB_BLESS=1 cargo test -p idemlab-cli --test url\n");
        for l in &links {
            text.push_str(&format!("{l} {}\n", url(l)["trace_hash"].as_str().unwrap()));
        }
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/../sim/golden/handler-links.txt"), text).unwrap();
        return;
    }
    let kept: Vec<(&str, &str)> = HANDLER_KEPT
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once(' '))
        .collect();
    assert_eq!(kept.iter().map(|(l, _)| l.to_string()).collect::<Vec<_>>(), links, "rerun with IDEMLAB_BLESS=1");
    let mut distinct = std::collections::BTreeSet::new();
    for (link, hash) in kept {
        let v = url(link);
        assert_eq!(v["trace_hash"].as_str(), Some(hash.trim()), "{link}");
        assert_eq!(v["warnings"].as_array().map(Vec::len), Some(0), "{link}: {}", v["warnings"]);
        assert!(v["counters"].to_string().contains("double_charge_schedules"), "{link}: the explorer ran");
        distinct.insert(hash.trim().to_string());
    }
    assert_eq!(distinct.len(), links.len(), "each link is a different run");
}

#[test]
fn a_link_with_a_refused_handler_fails_with_the_parsers_line_and_never_panics() {
    let out = Command::new(env!("CARGO_BIN_EXE_idemlab"))
        .args(["url", "?area=races&handler=BEGIN%3B%0ADELETE%20FROM%20idempotency_keys%3B%0ACOMMIT%3B%0ARESPOND%20201"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2") && err.contains("DELETE"), "{err}");
}
