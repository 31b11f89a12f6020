//! Components shared by every lab: one implementation each.

pub mod chart;
pub mod controls;
pub mod evidence;
pub mod export;
pub mod follow;
pub mod num;
pub mod step_caption;
pub mod step_controls;
pub mod step_keys;
pub mod term;
pub mod timeline;

pub use chart::{Bar, BarChart, LineChart, Series};
pub use controls::{Select, Slider, Toggle};
pub use evidence::{Counter, Evidence, LinkWarnings};
pub use export::ExportBar;
pub use follow::use_keep_in_view;
pub use step_controls::StepControls;
pub use term::{explained_above, gloss, gloss_once, Term, TAGLINE};
pub use timeline::{EventLog, ItemKind, Timeline, TimelineItem};
