//! `idemlab race` as scripts call it: list, run and explore print JSON.

use std::process::Command;

fn idemlab(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_idemlab")).args(args).output().expect("run idemlab");
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), v, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn race_list_prints_every_scenario_id() {
    let (code, v, err) = idemlab(&["race", "list"]);
    assert_eq!(code, 0, "{err}");
    let ids: Vec<&str> = v.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"select-then-insert") && ids.contains(&"on-conflict") && ids.contains(&"volatile-store"));
}

#[test]
fn race_run_prints_the_trace_and_the_double_charge() {
    let (code, v, err) = idemlab(&["race", "run", "select-then-insert", "--schedule", "1,1,1,2,1,2,2,2"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["outcome"]["charges"], 2);
    assert_eq!(v["double_charge"], true);
    assert!(v["trace"].as_array().unwrap().len() > 8);
}

#[test]
fn race_run_refuses_a_step_by_a_waiting_transaction() {
    let (code, _, err) = idemlab(&["race", "run", "on-conflict", "--schedule", "1,2,2"]);
    assert_eq!(code, 2);
    assert!(err.contains("waiting for T1"), "{err}");
}

#[test]
fn race_explore_prints_classes_with_counts_and_examples() {
    let (code, v, err) = idemlab(&["race", "explore", "select-then-insert"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["summary"], "double charge in 68 of 70 interleavings");
    let classes = v["classes"].as_array().unwrap();
    assert_eq!(classes.iter().map(|c| c["count"].as_u64().unwrap()).sum::<u64>(), 70);
    assert!(classes.iter().all(|c| !c["example"].as_array().unwrap().is_empty()));
    let (_, fix, _) = idemlab(&["race", "explore", "on-conflict"]);
    assert_eq!(fix["double_charge_schedules"], 0);
    assert!(fix.get("double_charges").is_none(), "one name per meaning: double_charges counts extra charges");
}

#[test]
fn race_check_prints_the_same_json_as_race_explore_for_a_scenario_text() {
    let (_, text, _) = idemlab(&["race", "text", "select-then-insert"]);
    let path = std::env::temp_dir().join(format!("idemlab-check-{}.sql", std::process::id()));
    std::fs::write(&path, text["text"].as_str().unwrap()).unwrap();
    let (code, checked, err) = idemlab(&["race", "check", path.to_str().unwrap()]);
    let (_, explored, _) = idemlab(&["race", "explore", "select-then-insert"]);
    assert_eq!(code, 0, "{err}");
    for k in ["total", "double_charges", "summary", "first_counterexample", "classes"] {
        assert_eq!(checked[k], explored[k], "{k}");
    }
    let (code, three, err) = idemlab(&["race", "check", path.to_str().unwrap(), "--lanes", "3"]);
    assert_eq!(code, 0, "{err}");
    assert!(three["total"].as_u64().unwrap() > 70);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn race_check_refuses_a_bad_handler_naming_the_line_and_the_construct() {
    let path = std::env::temp_dir().join(format!("idemlab-bad-{}.sql", std::process::id()));
    std::fs::write(
        &path,
        "BEGIN;\nSELECT status, response FROM idempotency_keys WHERE key = $1 FOR SHARE;\nCOMMIT;\nRESPOND 201\n",
    )
    .unwrap();
    let (code, _, err) = idemlab(&["race", "check", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("line 2") && err.contains("FOR SHARE"), "{err}");
    let (code, _, err) = idemlab(&["race", "check", "/nonexistent/handler.sql"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/handler.sql"), "{err}");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn race_run_prints_the_envelope_its_permalink_reproduces_and_csv_on_request() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_idemlab")).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let v: serde_json::Value =
        serde_json::from_str(&run(&["race", "run", "select-then-insert", "--schedule", "1,2,1,2,1,2"])).unwrap();
    assert_eq!(v["lab"], "races");
    assert!(v["trace_hash"].is_string());
    let link = v["permalink"].as_str().unwrap().to_string();
    let again: serde_json::Value = serde_json::from_str(&run(&["url", &link])).unwrap();
    assert_eq!(again["trace_hash"], v["trace_hash"], "the envelope's permalink reproduces the run");
    assert_eq!(v["counters"]["charges"], 2);
    let csv = run(&["race", "run", "select-then-insert", "--schedule", "1,2,1,2,1,2", "--csv"]);
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("lab,preset,scenario,mode,lanes_count,against,charges_count"));
    assert_eq!(lines.count(), 1, "one tidy row per run");
    let classes = run(&["race", "explore", "on-conflict", "--csv"]);
    assert!(classes.starts_with("scenario,class,schedules_count,double_charge,example_schedule\n"));
    assert!(classes.lines().skip(1).all(|l| l.split(',').nth(3) == Some("0")), "the fix never double charges");
}

#[test]
fn race_check_prints_a_count_past_two_to_the_64_as_its_digits() {
    // Sixteen reads in three lanes: 51! / (17!)^3 schedules, more than a JSON
    // number holds exactly.
    let path = std::env::temp_dir().join(format!("idemlab-sixteen-reads-{}.txt", std::process::id()));
    std::fs::write(&path, idemlab_sim::races::SIXTEEN_READS).unwrap();
    let (code, v, err) = idemlab(&["race", "check", path.to_str().unwrap(), "--lanes", "3", "--all"]);
    let _ = std::fs::remove_file(&path);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["total"], "34469858696831179429500");
    assert_eq!(v["classes"][0]["count"], "34469858696831179429500");
    assert_eq!(v["schedules"].as_array().unwrap().len(), idemlab_sim::races::SCHEDULES_LISTED_MAX);
    assert!(v["states"].as_u64().unwrap() > 1000);
}

#[test]
fn a_serializable_select_then_insert_without_an_index_checks_to_its_40001_and_its_link_steps_there() {
    let (code, text, err) = idemlab(&["race", "text", "ssi-select-then-insert"]);
    assert_eq!(code, 0, "{err}");
    let text = text["text"].as_str().unwrap().to_string();
    assert!(!text.contains("INDEX"), "no index on key");
    let path = std::env::temp_dir().join(format!("idemlab-ssi-{}.sql", std::process::id()));
    std::fs::write(&path, &text).unwrap();
    let (code, v, err) = idemlab(&["race", "check", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["total"], 70);
    let classes = v["classes"].as_array().unwrap();
    let failing: Vec<_> = classes.iter().filter(|c| c["label"].as_str().unwrap().contains("errors 40001")).collect();
    assert_eq!(failing.iter().map(|c| c["count"].as_u64().unwrap()).sum::<u64>(), 68, "{v}");
    // The learner's link with both SELECTs, charges and INSERTs first: T2's COMMIT fails.
    let mut q = idemlab_sim::permalink::Query::default();
    q.set("area", "races");
    q.set("handler", &text);
    q.set("schedule", "1,2,1,2,1,2,1,2");
    let (code, run, err) = idemlab(&["url", &q.to_search()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(run["counters"]["errors"], 1, "{run}");
    assert_eq!(run["counters"]["charges"], 2, "{run}");
    assert_eq!(run["warnings"].as_array().map(Vec::len), Some(0), "{run}");
}
