//! What an embedding page may send, and the edge where its JSON is read. The
//! core's permalink knows nothing of postMessage; this module does.

use idemlab_sim::permalink::PARAMS_MAX;

/// Parameters an embedder may never set by message: they define the embedding itself.
pub const EMBED_KEYS: [&str; 3] = ["embed", "origins", "lock"];

/// Reads a message from an embedding page:
/// `{"source":"idemlab-host","type":"set","params":{"step":"3"}}`. Anything
/// else, and any parameter in [`EMBED_KEYS`], is ignored. At most
/// [`PARAMS_MAX`] parameters, each value at most 200 characters.
pub fn parse_host_message(json: &str) -> Option<Vec<(String, String)>> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    if v.get("source")?.as_str()? != "idemlab-host" || v.get("type")?.as_str()? != "set" {
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
}
