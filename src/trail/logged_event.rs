//! One line of the audit log as read back: the fields every event has (`seq`, `prev`, `run`,
//! `event`) typed, the event's own fields kept as they are, since each event kind has its own
//! (`docs/audit.md` lists them). The writer is [`super::seal`], which adds the three framing
//! fields to each event; the line's bytes are what is hashed, so a reader never writes a line
//! back from this type.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// An audit log line.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LoggedEvent {
    /// Its leaf index.
    pub seq: u64,
    /// The previous line's leaf hash, hex; empty for the first line.
    #[serde(default)]
    pub prev: String,
    /// The run that appended it.
    #[serde(default)]
    pub run: Option<String>,
    /// Its kind (`run_start`, `stage_done`, ...).
    pub event: String,
    /// The kind's own fields.
    #[serde(flatten)]
    pub fields: BTreeMap<String, Value>,
}

impl LoggedEvent {
    /// Reads one line; `None` for a damaged one (`verify` names it).
    pub fn parse(line: &str) -> Option<Self> {
        serde_json::from_str(line).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_framing_is_typed_and_the_rest_kept() {
        let e = LoggedEvent::parse(r#"{"event":"stage_done","id":"a","prev":"","run":"r1","seq":3}"#);
        let e = e.unwrap_or_else(|| panic!("a logged event"));
        assert_eq!((e.seq, e.event.as_str(), e.run.as_deref()), (3, "stage_done", Some("r1")));
        assert_eq!(e.fields.get("id"), Some(&Value::from("a")));
        assert!(LoggedEvent::parse(r#"{"seq":"x"}"#).is_none());
    }
}
