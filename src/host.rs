//! The embedding protocol, both directions, and the edge where its JSON is
//! read. The core's permalink knows nothing of postMessage; this module does.
//! Everything here is pure, so it is tested natively.
//!
//! Schema, version 1 (README, section Embedding):
//! - the lab posts `{ source: "idemlab", version: 1, type, area, detail }`,
//!   type one of `height` (`{ height }`, CSS pixels), `step` (`{ step }`, a
//!   number), `outcome` (`{ preset, counters }`, numbers) and `prediction`;
//! - the page may send `{ source: "idemlab-host", version: 1, type: "set",
//!   params: { step: 3 } }` (numbers, strings or booleans); a message
//!   without `version` is read as version 1, any other version is ignored.

use idemlab_sim::permalink::{Query, PARAMS_MAX};

/// The version of the message schema, in both directions.
pub const MESSAGE_VERSION: u64 = 1;

/// Parameters that define the embedding itself: an embedder may never set
/// them by message, and every navigation inside the frame keeps them.
pub const EMBED_KEYS: [&str; 3] = ["embed", "origins", "lock"];

/// Parameters a course author sets for the whole frame, kept like
/// [`EMBED_KEYS`] when the learner moves to another area inside it.
pub const FRAME_KEYS: [&str; 5] = ["embed", "origins", "lock", "reveal", "present"];

/// A message from the lab to its embedding page.
pub fn lab_message(kind: &str, area: &str, detail: serde_json::Value) -> serde_json::Value {
    serde_json::json!({ "source": "idemlab", "version": MESSAGE_VERSION, "type": kind, "area": area, "detail": detail })
}

/// Reads a message from an embedding page:
/// `{"source":"idemlab-host","version":1,"type":"set","params":{"step":3}}`.
/// Anything else, and any parameter in [`EMBED_KEYS`], is ignored. At most
/// [`PARAMS_MAX`] parameters, each value at most 200 characters.
pub fn parse_host_message(json: &str) -> Option<Vec<(String, String)>> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    if v.get("source")?.as_str()? != "idemlab-host" || v.get("type")?.as_str()? != "set" {
        return None;
    }
    if v.get("version").is_some_and(|ver| ver.as_u64() != Some(MESSAGE_VERSION)) {
        return None;
    }
    let params = v.get("params")?.as_object()?;
    let out: Vec<(String, String)> = params
        .iter()
        .take(PARAMS_MAX)
        .filter(|(k, _)| !EMBED_KEYS.contains(&k.as_str()))
        .filter_map(|(k, val)| {
            let s = match val {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => u8::from(*b).to_string(),
                _ => return None,
            };
            (s.len() <= 200).then(|| (k.clone(), s))
        })
        .collect();
    Some(out)
}

/// `to`, carrying over the frame parameters ([`FRAME_KEYS`]) of `from`, so a
/// link inside an embed never escapes it.
pub fn keep_frame(from: &Query, mut to: Query) -> Query {
    for k in FRAME_KEYS {
        match from.get(k) {
            Some(v) => to.set(k, v),
            None => to.remove(k),
        }
    }
    to.warnings.clear();
    to
}

/// The link of `area`'s page from the current one: the area, and the frame.
pub fn area_link(from: &Query, area: &str) -> Query {
    let mut q = Query::default();
    q.set("area", area);
    keep_frame(from, q)
}

/// What the author chose in the "Embed this screen" panel.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EmbedChoice {
    /// Lock names to freeze (`lock=`); `all` freezes every control.
    pub locks: Vec<String>,
    /// The course page's origins, as typed (comma or space separated).
    pub origins: String,
    /// Show the outcome from the start (`reveal=1`).
    pub reveal: bool,
    /// Ask for a prediction before each decisive step, locked on.
    pub predict_locked: bool,
    /// The presenter view (`present=1`): the stage, scaled to the frame.
    pub present: bool,
}

/// Splits typed origins into the valid ones (`https://host[:port]`, no
/// path) and the rejected ones, each named back to the author.
pub fn read_origins(text: &str) -> (Vec<String>, Vec<String>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for o in text.split([',', ' ', '\n']).map(str::trim).filter(|s| !s.is_empty()) {
        let o = o.trim_end_matches('/');
        let rest = o.strip_prefix("https://").or_else(|| o.strip_prefix("http://"));
        let valid = rest.is_some_and(|r| {
            !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c)) && !r.starts_with(':')
        });
        if valid {
            if !ok.iter().any(|x| x == o) {
                ok.push(o.to_string());
            }
        } else {
            bad.push(idemlab_sim::permalink::clip(o));
        }
    }
    (ok, bad)
}

/// The embed link of the current screen with the author's choices.
pub fn embed_query(current: &Query, choice: &EmbedChoice) -> Query {
    let mut q = current.clone();
    q.warnings.clear();
    for k in FRAME_KEYS {
        q.remove(k);
    }
    q.set("embed", 1);
    let mut locks: Vec<&str> = choice.locks.iter().map(String::as_str).collect();
    if choice.predict_locked {
        q.set("predict", 1);
        locks.push("predict");
    }
    if !locks.is_empty() {
        q.set("lock", locks.join(","));
    }
    let (origins, _) = read_origins(&choice.origins);
    if !origins.is_empty() {
        q.set("origins", origins.join(","));
    }
    if choice.present {
        q.set("present", 1);
    }
    if choice.reveal {
        q.set("reveal", 1);
    }
    q
}

/// The snippet for a course page: the frame, and a script that sizes it from
/// the lab's `height` messages (accepted only from the lab's origin and frame).
pub fn snippet(src: &str, lab_origin: &str, frame_id: &str, title: &str) -> String {
    let attr = |s: &str| s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;");
    let js = |s: &str| serde_json::Value::String(s.to_string()).to_string().replace('<', "\\u003c");
    format!(
        "<iframe id=\"{id}\" src=\"{src}\" title=\"{title}\" loading=\"lazy\" style=\"width:100%;height:480px;border:0\"></iframe>\n\
<script>\n\
addEventListener(\"message\", function (e) {{\n\
  var f = document.getElementById({id_js});\n\
  if (!f || e.source !== f.contentWindow || e.origin !== {origin_js}) return;\n\
  var m = e.data;\n\
  if (m && m.source === \"idemlab\" && m.version === 1 && m.type === \"height\") {{\n\
    f.style.height = Math.min(4000, Math.max(200, m.detail.height + 4)) + \"px\";\n\
  }}\n\
}});\n\
</script>",
        id = attr(frame_id),
        src = attr(src),
        title = attr(title),
        id_js = js(frame_id),
        origin_js = js(lab_origin),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_messages_set_only_ordinary_parameters() {
        let m = parse_host_message(
            r#"{"source":"idemlab-host","type":"set","params":{"step":3,"lock":"","embed":"0","seed":"9"}}"#,
        )
        .unwrap();
        assert_eq!(m, vec![("seed".to_string(), "9".to_string()), ("step".to_string(), "3".to_string())]);
        assert!(parse_host_message(r#"{"source":"other","type":"set","params":{}}"#).is_none());
        assert!(parse_host_message("not json").is_none());
    }

    #[test]
    fn a_host_message_of_version_one_is_read_and_another_version_is_ignored() {
        let v1 = r#"{"source":"idemlab-host","version":1,"type":"set","params":{"step":4}}"#;
        assert_eq!(parse_host_message(v1).unwrap(), vec![("step".to_string(), "4".to_string())]);
        assert!(
            parse_host_message(r#"{"source":"idemlab-host","version":2,"type":"set","params":{"step":4}}"#).is_none()
        );
        assert!(parse_host_message(r#"{"source":"idemlab-host","version":"1","type":"set","params":{}}"#).is_none());
    }

    #[test]
    fn every_lab_message_carries_the_source_the_version_the_type_the_area_and_a_detail() {
        let m = lab_message("step", "keys", serde_json::json!({ "step": 3 }));
        assert_eq!(m["source"], "idemlab");
        assert_eq!(m["version"], 1);
        assert_eq!(m["type"], "step");
        assert_eq!(m["area"], "keys");
        assert!(m["detail"]["step"].is_u64(), "the step is a number, as the host sends it: {m}");
    }

    #[test]
    fn a_link_to_another_area_keeps_the_frame_and_drops_the_labs_parameters() {
        let from = Query::parse("area=keys&embed=1&lock=seed,step&origins=https://a.example&reveal=1&rsloss=40");
        let to = area_link(&from, "races");
        assert_eq!(to.to_search(), "?area=races&embed=1&lock=seed,step&origins=https%3A%2F%2Fa.example&reveal=1");
        let plain = area_link(&Query::parse("area=keys&rsloss=40"), "about");
        assert_eq!(plain.to_search(), "?area=about");
        // A proof link keeps its own parameters and takes the frame's.
        let proof = keep_frame(&from, Query::parse("?area=about&aloss=40&embed=0"));
        assert_eq!(proof.get("aloss"), Some("40"));
        assert_eq!((proof.get("embed"), proof.get("lock")), (Some("1"), Some("seed,step")));
    }

    #[test]
    fn origins_are_checked_and_a_path_or_a_script_is_refused() {
        let (ok, bad) =
            read_origins("https://course.example, http://localhost:8000/ javascript:alert(1) https://x.org/path");
        assert_eq!(ok, vec!["https://course.example", "http://localhost:8000"]);
        assert_eq!(bad.len(), 2, "{bad:?}");
    }

    #[test]
    fn the_embed_link_holds_the_chosen_locks_origins_reveal_predict_and_presenter_view() {
        let cur = Query::parse("area=keys&preset=no-key&step=2&lock=old&bogus=1&present=1");
        let choice = EmbedChoice {
            locks: vec!["seed".into(), "step".into()],
            origins: "https://course.example".into(),
            reveal: true,
            predict_locked: true,
            present: true,
        };
        let q = embed_query(&cur, &choice);
        assert_eq!(q.get("embed"), Some("1"));
        assert_eq!(q.get("lock"), Some("seed,step,predict"));
        assert_eq!(q.get("predict"), Some("1"));
        assert_eq!(q.get("origins"), Some("https://course.example"));
        assert_eq!(q.get("reveal"), Some("1"));
        assert_eq!(q.get("preset"), Some("no-key"));
        assert_eq!(q.get("present"), Some("1"));
        let bare = embed_query(&cur, &EmbedChoice::default());
        assert_eq!((bare.get("lock"), bare.get("origins"), bare.get("reveal")), (None, None, None));
        assert_eq!(bare.get("present"), None, "the choice, not the page the snippet was made on, decides");
    }

    #[test]
    fn the_snippet_has_no_fixed_height_attribute_and_a_height_script_checking_the_origin() {
        let s = snippet("https://lab.example/?area=keys&embed=1", "https://lab.example", "idemlab-keys", "Keys");
        assert!(!s.contains("height=\""), "{s}");
        assert!(s.contains("src=\"https://lab.example/?area=keys&amp;embed=1\""), "{s}");
        assert!(s.contains("e.origin !== \"https://lab.example\""), "{s}");
        assert!(s.contains("m.type === \"height\""), "{s}");
        let hostile = snippet("x", "</script><script>alert(1)", "a\"b", "t");
        assert!(!hostile.contains("</script><script>"), "{hostile}");
    }
}
