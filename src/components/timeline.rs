//! The timeline shared by every lab: one lane per actor (a transaction, a
//! client, a relay…), time running to the right, blocks for work, hatched
//! bars for lock waits, arrows for messages (dashed and crossed out when
//! lost) and markers for crashes. Items appear as the step reaches them, and
//! a text event log beside it says the same thing for screen readers.

use yew::prelude::*;

/// What an item on the timeline is. Shapes and patterns differ, not only
/// colours, so the picture reads without colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    /// Work: a statement or an app step.
    Block,
    /// Waiting on a lock or a timer (hatched).
    Wait,
    /// A step that succeeded in a way that matters (thick outline).
    Good,
    /// A step that went wrong: an error, a double charge (dashed outline).
    Bad,
    /// A message from one lane to another.
    Arrow,
    /// A message that was lost on the way.
    LostArrow,
    /// A crash or another instant event.
    Marker,
}

impl ItemKind {
    fn class(self) -> &'static str {
        match self {
            ItemKind::Block => "tl-block",
            ItemKind::Wait => "tl-wait",
            ItemKind::Good => "tl-good",
            ItemKind::Bad => "tl-bad",
            ItemKind::Arrow => "tl-arrow",
            ItemKind::LostArrow => "tl-lost",
            ItemKind::Marker => "tl-marker",
        }
    }
}

/// One item on the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineItem {
    /// The lane it sits in (for arrows: the lane it leaves).
    pub lane: usize,
    /// For arrows: the lane it reaches.
    pub to_lane: Option<usize>,
    /// Start, in the timeline's units.
    pub x0: f64,
    /// End, in the timeline's units (equal to `x0` for markers).
    pub x1: f64,
    /// A short label drawn on the item.
    pub label: AttrValue,
    /// Its shape.
    pub kind: ItemKind,
    /// The step at which it appears (0 = visible from the start).
    pub step: usize,
}

/// Props of [`Timeline`].
#[derive(Properties, PartialEq, Clone)]
pub struct TimelineProps {
    /// Lane labels, top to bottom.
    pub lanes: Vec<AttrValue>,
    /// Everything to draw.
    pub items: Vec<TimelineItem>,
    /// The current step: items with a later step are hidden.
    pub current: usize,
    /// The largest x, for scaling.
    pub x_max: f64,
    /// What x counts ("step", "ms").
    #[prop_or(AttrValue::Static("step"))]
    pub x_label: AttrValue,
    /// Accessible title of the picture.
    pub title: AttrValue,
}

const WIDTH: f64 = 900.0;
const GUTTER: f64 = 120.0;
const LANE_H: f64 = 46.0;
const PAD: f64 = 14.0;

/// The swimlane timeline.
#[component]
pub fn Timeline(p: &TimelineProps) -> Html {
    let height = LANE_H * p.lanes.len().max(1) as f64 + 34.0;
    let x_max = if p.x_max > 0.0 && p.x_max.is_finite() { p.x_max } else { 1.0 };
    let sx = |x: f64| GUTTER + (x.clamp(0.0, x_max) / x_max) * (WIDTH - GUTTER - PAD);
    let lane_y = |l: usize| 8.0 + LANE_H * l as f64;
    let cursor = p
        .items
        .iter()
        .filter(|i| i.step == p.current && p.current > 0)
        .map(|i| i.x1)
        .fold(None, |a: Option<f64>, x| Some(a.map_or(x, |a| a.max(x))));
    html! {
        <svg class="timeline" viewBox={format!("0 0 {WIDTH} {height}")} role="img" aria-label={p.title.clone()}
             preserveAspectRatio="xMinYMin meet">
            <defs>
                <pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                    <line x1="0" y1="0" x2="0" y2="6" class="hatch-line" />
                </pattern>
                <marker id="arrowhead" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
                </marker>
            </defs>
            { for p.lanes.iter().enumerate().map(|(i, name)| {
                let y = lane_y(i);
                html! {
                    <g class="lane">
                        <rect x="0" y={y.to_string()} width={WIDTH.to_string()} height={(LANE_H - 4.0).to_string()} class={if i % 2 == 0 { "lane-bg even" } else { "lane-bg odd" }} />
                        <text x="8" y={(y + LANE_H / 2.0).to_string()} class="lane-label">{ name.clone() }</text>
                    </g>
                }
            }) }
            { for p.items.iter().filter(|i| i.step <= p.current).map(|i| {
                let current = i.step == p.current && p.current > 0;
                let cls = classes!(i.kind.class(), current.then_some("current"));
                let y = lane_y(i.lane);
                let (x0, x1) = (sx(i.x0), sx(i.x1.max(i.x0)));
                match i.kind {
                    ItemKind::Arrow | ItemKind::LostArrow => {
                        let to = i.to_lane.unwrap_or(i.lane);
                        let (y0, y1) = (y + LANE_H / 2.0 - 2.0, lane_y(to) + LANE_H / 2.0 - 2.0);
                        let lost = i.kind == ItemKind::LostArrow;
                        // A lost message stops half way, crossed out.
                        let (ex, ey) = if lost { ((x0 + x1) / 2.0, (y0 + y1) / 2.0) } else { (x1, y1) };
                        html! {
                            <g class={cls}>
                                <line x1={x0.to_string()} y1={y0.to_string()} x2={ex.to_string()} y2={ey.to_string()}
                                      marker-end={(!lost).then_some("url(#arrowhead)")} />
                                if lost { <text x={ex.to_string()} y={(ey + 5.0).to_string()} class="lost-x" text-anchor="middle">{ "✕" }</text> }
                                <text x={((x0 + ex) / 2.0).to_string()} y={((y0 + ey) / 2.0 - 4.0).to_string()} class="tl-label" text-anchor="middle">{ i.label.clone() }</text>
                            </g>
                        }
                    }
                    ItemKind::Marker => html! {
                        <g class={cls}>
                            <text x={x0.to_string()} y={(y + LANE_H / 2.0 + 6.0).to_string()} text-anchor="middle" class="marker-glyph">{ "⚡" }</text>
                            <text x={(x0 + 10.0).to_string()} y={(y + 13.0).to_string()} class="tl-label">{ i.label.clone() }</text>
                        </g>
                    },
                    ItemKind::Block | ItemKind::Wait | ItemKind::Good | ItemKind::Bad => {
                        let w = (x1 - x0).max(6.0);
                        html! {
                            <g class={cls}>
                                <rect x={x0.to_string()} y={(y + 6.0).to_string()} width={w.to_string()} height={(LANE_H - 16.0).to_string()} rx="4" />
                                <text x={(x0 + 4.0).to_string()} y={(y + LANE_H / 2.0 + 3.0).to_string()} class="tl-label">
                                    { i.label.clone() }
                                </text>
                            </g>
                        }
                    }
                }
            }) }
            if let Some(cx) = cursor {
                <line class="cursor" x1={sx(cx).to_string()} x2={sx(cx).to_string()} y1="0" y2={(height - 24.0).to_string()} />
            }
            <text x={(WIDTH - PAD).to_string()} y={(height - 6.0).to_string()} text-anchor="end" class="axis-label">{ format!("{} →", p.x_label) }</text>
        </svg>
    }
}

/// Props of [`EventLog`].
#[derive(Properties, PartialEq, Clone)]
pub struct EventLogProps {
    /// One line per step; line `i` belongs to step `i + 1`.
    pub lines: Vec<AttrValue>,
    /// The current step.
    pub current: usize,
}

/// The text twin of a timeline: what happened so far, newest last.
#[component]
pub fn EventLog(p: &EventLogProps) -> Html {
    let shown = p.current.min(p.lines.len());
    html! {
        <details class="event-log" open=true>
            <summary>{ format!("Event log ({shown} of {})", p.lines.len()) }</summary>
            // Focusable, so keyboard users can scroll a long log (axe: scrollable-region-focusable).
            <ol aria-live="polite" tabindex="0" aria-label="Event log">
                { for p.lines.iter().take(shown).enumerate().map(|(i, l)| html! {
                    <li class={classes!((i + 1 == shown).then_some("current"))}>{ l.clone() }</li>
                }) }
            </ol>
        </details>
    }
}
