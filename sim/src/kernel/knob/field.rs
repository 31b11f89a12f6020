//! Fields: the schema's declarations of permalink keys whose value is not
//! one number (a schedule is a list, a learner's handler is a text). A field
//! is declared once, like a knob, with its bounds in its [`FieldKind`]; the
//! permalink reader and writer, the page's `Extra` actions and the lock
//! names read it from there.

use crate::permalink::Query;

/// What a field's value looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// Whole numbers from `min` to `max`, at most `len_max` of them, written
    /// with commas (`1,2,2,1`). Empty is the default, so a link drops it.
    List {
        /// Smallest value.
        min: u64,
        /// Largest value.
        max: u64,
        /// Most values.
        len_max: usize,
    },
    /// Free text, kept as given: what is wrong with it is its parser's to say.
    /// An empty text means something (an emptied editor), so a link keeps `key=`.
    Text,
}

/// A field's value, as the engine's parameters hold it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldValue {
    /// A list's values (in bounds).
    List(Vec<u64>),
    /// A text.
    Text(String),
}

/// One non-numeric permalink key of a lab, declared once.
pub struct Field<P: 'static> {
    /// The permalink key (`schedule=`).
    pub key: &'static str,
    /// What it is, in the words a lock message uses ("the schedule (which request steps when)").
    pub label: &'static str,
    /// Its values.
    pub kind: FieldKind,
    /// Reads the field; `None` is its default, which a link leaves out.
    pub get: fn(&P) -> Option<FieldValue>,
    /// Writes the field (`None`: back to its default). The value fits the kind.
    pub set: fn(&mut P, Option<FieldValue>),
}

impl<P> Field<P> {
    /// Reads the field from a link into `p`, leniently: a list out of its
    /// bounds is dropped with a warning in `q`.
    pub fn read(&self, q: &mut Query, p: &mut P) {
        let Some(raw) = q.get(self.key).map(str::to_string) else { return };
        let value = match self.kind {
            FieldKind::List { min, max, len_max } => {
                let list = q.int_list(self.key, min as i64, max as i64, len_max);
                debug_assert!(
                    list.len() <= len_max && list.iter().all(|v| (min as i64..=max as i64).contains(v)),
                    "the lenient list reader keeps only values in the field's bounds"
                );
                (!list.is_empty()).then(|| FieldValue::List(list.into_iter().map(|v| v as u64).collect()))
            }
            FieldKind::Text => Some(FieldValue::Text(raw)),
        };
        (self.set)(p, value);
    }

    /// Writes the field of `p` into a link (removing it at its default).
    pub fn write(&self, q: &mut Query, p: &P) {
        match (self.get)(p) {
            None => q.remove(self.key),
            Some(FieldValue::List(list)) => {
                debug_assert!(!list.is_empty(), "an empty list is the default, written as None");
                q.set(self.key, list.iter().map(u64::to_string).collect::<Vec<_>>().join(","))
            }
            Some(FieldValue::Text(text)) => q.set(self.key, text),
        }
    }

    /// Whether an empty value is kept in a link (`key=`) rather than dropped.
    pub fn keeps_empty(&self) -> bool {
        match self.kind {
            FieldKind::List { .. } => false,
            FieldKind::Text => true,
        }
    }
}
