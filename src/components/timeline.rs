//! The timeline shared by every lab: one lane per actor (a transaction, a
//! client, a relay…), time running to the right, blocks for work, hatched
//! bars for lock waits, arrows for messages (dashed and crossed out when
//! lost) and markers for crashes, over a time axis with ticks. The whole run
//! is drawn faintly ahead of the cursor and items light up as the step
//! reaches them; labels never overlap and never shrink below 11 px. A text
//! event log beside it says the same thing for screen readers.

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
    /// The current step: items with a later step are drawn faintly (or
    /// hidden, when `ahead` is off).
    pub current: usize,
    /// The largest x, for scaling.
    pub x_max: f64,
    /// What x counts ("step", "ms").
    #[prop_or(AttrValue::Static("step"))]
    pub x_label: AttrValue,
    /// Accessible title of the picture.
    pub title: AttrValue,
    /// Whether the rest of the run is drawn faintly ahead of the cursor, so
    /// the picture never opens on empty lanes.
    #[prop_or(true)]
    pub ahead: bool,
}

/// The drawing's width in user units. The SVG is never drawn narrower than
/// [`WIDTH_MIN_PX`], so its text never shrinks below 11 px: a narrow screen
/// scrolls the picture sideways inside its own box instead.
pub const WIDTH: f64 = 900.0;
/// The narrowest the timeline is drawn, in CSS pixels (`min-width` in the
/// style sheet): 12-unit labels at 825/900 scale are 11 px.
pub const WIDTH_MIN_PX: f64 = 825.0;
const GUTTER: f64 = 120.0;
const PAD: f64 = 14.0;
/// The narrowest a block is drawn, in user units: at [`WIDTH_MIN_PX`] that is
/// 12.8 px, so an instant step (Keys' provider charge) stays a mark a
/// projector shows, not a sliver (WCAG 1.4.11 asks for marks that can be seen).
const MARK_MIN: f64 = 14.0;
/// The band where blocks, bars and markers sit, at the top of each lane.
const BAND_H: f64 = 30.0;
/// One row of labels under the band.
const ROW_H: f64 = 15.0;
/// Height of the time axis under the lanes.
const AXIS_H: f64 = 34.0;
/// A label's estimated width per character, in user units, at 12 units
/// (system sans averages under 7; the margin keeps neighbours apart).
const CHAR_W: f64 = 7.0;

/// Where every label goes and how tall each lane is, computed once from all
/// the items (ahead of the cursor too), so nothing moves while stepping.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelLayout {
    /// For each item: `None` when its label fits inside its block (or it
    /// has none), else the row of its lane where it is written (0 = first
    /// row under the band) and the label's left x.
    pub rows: Vec<Option<(usize, f64)>>,
    /// Label rows per lane.
    pub lane_rows: Vec<usize>,
}

/// Estimated width of `label` in user units.
pub fn label_width(label: &str) -> f64 {
    label.chars().count() as f64 * CHAR_W
}

/// A lane's name as the gutter shows it: one line when it fits, else two,
/// split at the blank nearest the middle (or in the middle of a long word),
/// so a name up to the handler language's longest is never cut off.
pub fn lane_label_lines(name: &str) -> Vec<String> {
    // Lane labels are 13 units and bold: a little wider than CHAR_W.
    let fits = |s: &str| s.chars().count() as f64 * (CHAR_W + 0.5) <= GUTTER - 12.0;
    if fits(name) {
        return vec![name.to_string()];
    }
    let chars: Vec<char> = name.chars().collect();
    let mid = chars.len() / 2;
    let cut = (0..chars.len())
        .filter(|&i| chars[i] == ' ')
        .min_by_key(|&i| i.abs_diff(mid))
        .filter(|&i| fits(&chars[..i].iter().collect::<String>()) && fits(&chars[i + 1..].iter().collect::<String>()));
    let (a, b) = match cut {
        Some(i) => (chars[..i].iter().collect(), chars[i + 1..].iter().collect()),
        None => (chars[..mid].iter().collect(), chars[mid..].iter().collect()),
    };
    vec![a, b]
}

/// Places labels greedily: a block's label goes inside it when it fits;
/// otherwise each label takes the first row of its lane where it does not
/// overlap a label already placed (4 units apart). Labels start at the item's
/// left edge, so every label stays next to what it names.
pub fn layout_labels(lanes: usize, items: &[TimelineItem], sx: impl Fn(f64) -> f64) -> LabelLayout {
    let lanes = lanes.max(1);
    // For each lane, each row's occupied spans.
    let mut taken: Vec<Vec<Vec<(f64, f64)>>> = vec![Vec::new(); lanes];
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|a, b| items[*a].x0.total_cmp(&items[*b].x0).then(a.cmp(b)));
    let mut rows = vec![None; items.len()];
    for i in order {
        let it = &items[i];
        if it.label.is_empty() {
            continue;
        }
        let (x0, x1) = (sx(it.x0), sx(it.x1.max(it.x0)));
        let w = label_width(&it.label);
        let boxed = matches!(it.kind, ItemKind::Block | ItemKind::Wait | ItemKind::Good | ItemKind::Bad);
        if boxed && w + 8.0 <= x1 - x0 {
            continue;
        }
        let lane = it.lane.min(lanes - 1);
        // Kept inside the drawing: a label near the right edge moves left.
        let lx = x0.min(WIDTH - 4.0 - w).max(GUTTER);
        let span = (lx, lx + w + 4.0);
        let lane_rows = &mut taken[lane];
        let row = lane_rows
            .iter()
            .position(|spans| spans.iter().all(|(a, b)| span.1 <= *a || span.0 >= *b))
            .unwrap_or(lane_rows.len());
        if row == lane_rows.len() {
            lane_rows.push(Vec::new());
        }
        lane_rows[row].push(span);
        rows[i] = Some((row, lx));
    }
    LabelLayout { rows, lane_rows: taken.iter().map(Vec::len).collect() }
}

/// Round tick values for an axis from 0 to `max`: about six, at 1, 2 or 5
/// times a power of ten.
pub fn ticks(max: f64) -> Vec<f64> {
    if !(max.is_finite() && max > 0.0) {
        return vec![0.0];
    }
    let rough = max / 6.0;
    let mag = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= rough).unwrap_or(10.0 * mag);
    (0..).map(|i| i as f64 * step).take_while(|v| *v <= max + step * 1e-9).collect()
}

fn fmt_tick(v: f64) -> String {
    if v.fract() == 0.0 || v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Keeps the current step in view: after each step the box scrolls sideways
/// so the cursor line sits inside its middle three fifths, and when the
/// whole box is off screen the page scrolls just enough to show it. The
/// cursor is found in the drawn picture, so any width and zoom agree.
#[hook]
fn use_follow_cursor(boxed: &NodeRef, current: usize, cursor_x: Option<i64>) {
    let boxed = boxed.clone();
    // The caption is brought back only after a move, not when the picture
    // first appears (a lesson's stop keeps its own heading in view then).
    let moved = use_mut_ref(|| false);
    use_effect_with((current, cursor_x), move |_| {
        let moved_before = std::mem::replace(&mut *moved.borrow_mut(), true);
        let Some(el) = boxed.cast::<web_sys::Element>() else { return };
        let Ok(Some(line)) = el.query_selector("line.cursor") else {
            // Step 0: the picture starts at its beginning.
            if current == 0 {
                el.set_scroll_left(0);
            }
            return;
        };
        // The box scrolls, or sits in a lab's box that does (the lanes of side by side).
        let mut scroller = Some(el.clone());
        for _ in 0..4 {
            match scroller.clone() {
                Some(s) if s.scroll_width() > s.client_width() + 1 => break,
                Some(s) => {
                    scroller = s.parent_element().filter(|p| !matches!(p.tag_name().as_str(), "BODY" | "HTML" | "MAIN"))
                }
                None => break,
            }
        }
        if let Some(sc) = scroller.filter(|s| s.scroll_width() > s.client_width() + 1) {
            let (b, c) = (sc.get_bounding_client_rect(), line.get_bounding_client_rect());
            let (left, right) = (b.left() + b.width() * 0.2, b.right() - b.width() * 0.2);
            let x = c.left() + c.width() / 2.0;
            if x < left || x > right {
                let centred = sc.scroll_left() as f64 + x - (b.left() + b.width() / 2.0);
                sc.set_scroll_left(centred.max(0.0).round() as i32);
            }
        }
        let c = line.get_bounding_client_rect();
        let Some(win) = web_sys::window() else { return };
        let height = win.inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(0.0);
        if c.bottom() < 0.0 || c.top() > height {
            let opts = web_sys::ScrollIntoViewOptions::new();
            opts.set_block(web_sys::ScrollLogicalPosition::Nearest);
            el.scroll_into_view_with_scroll_into_view_options(&opts);
        }
        if moved_before {
            keep_caption_in_view(&win, &line, height);
        }
    });
}

/// After the picture followed its cursor, brings the step caption back into
/// view when that keeps part of the cursor on screen too: on a phone the
/// caption sits above or below a tall picture, and a learner should read
/// what happened beside where it happened (issue 23). Where both cannot
/// show, the cursor wins.
fn keep_caption_in_view(win: &web_sys::Window, line: &web_sys::Element, height: f64) {
    const MARGIN: f64 = 8.0;
    const CURSOR_LEFT: f64 = 40.0;
    let Some(caption) = win.document().and_then(|d| d.get_element_by_id("step-caption")) else { return };
    let k = caption.get_bounding_client_rect();
    let dy = if k.top() < 0.0 {
        k.top() - MARGIN
    } else if k.bottom() > height {
        k.bottom() - height + MARGIN
    } else {
        return;
    };
    let c = line.get_bounding_client_rect();
    let (top, bottom) = (c.top() - dy, c.bottom() - dy);
    if bottom.min(height) - top.max(0.0) >= CURSOR_LEFT {
        win.scroll_by_with_x_and_y(0.0, dy);
    }
}

/// The swimlane timeline, inside a box that scrolls sideways on a narrow
/// screen. Moving to a step animates its items (arrows draw from sender to
/// receiver, waits grow, blocks fade in); the style sheet turns that off
/// under prefers-reduced-motion.
#[component]
pub fn Timeline(p: &TimelineProps) -> Html {
    let x_max = if p.x_max > 0.0 && p.x_max.is_finite() { p.x_max } else { 1.0 };
    let sx = |x: f64| GUTTER + (x.clamp(0.0, x_max) / x_max) * (WIDTH - GUTTER - PAD);
    let layout = layout_labels(p.lanes.len(), &p.items, sx);
    let lane_h = |l: usize| BAND_H + 8.0 + ROW_H * layout.lane_rows.get(l).copied().unwrap_or(0) as f64;
    let lane_y = |l: usize| 4.0 + (0..l).map(lane_h).sum::<f64>();
    let lanes_bottom = lane_y(p.lanes.len().max(1));
    let height = lanes_bottom + AXIS_H;
    let band_mid = |l: usize| lane_y(l) + 4.0 + BAND_H / 2.0;
    let row_y = |l: usize, r: usize| lane_y(l) + BAND_H + 4.0 + ROW_H * (r as f64 + 1.0) - 3.0;
    // The cursor stands at the newest drawn step: the current one, or the
    // last step before it that drew something (a step may only change a count).
    let newest = p.items.iter().map(|i| i.step).filter(|s| *s <= p.current && *s > 0).max();
    let cursor = p
        .items
        .iter()
        .filter(|i| Some(i.step) == newest)
        .map(|i| i.x1)
        .fold(None, |a: Option<f64>, x| Some(a.map_or(x, |a| a.max(x))));
    let shown = |i: &TimelineItem| i.step <= p.current || p.ahead;
    let boxed = use_node_ref();
    use_follow_cursor(&boxed, p.current, cursor.map(|x| sx(x).round() as i64));
    html! {
        <div class="timeline-box" role="group" tabindex="0" ref={boxed} aria-label={format!("{} (scrolls sideways on a narrow screen)", p.title)}>
        <svg class="timeline" viewBox={format!("0 0 {WIDTH} {height}")} role="img" aria-label={p.title.clone()}
             preserveAspectRatio="xMinYMin meet" data-current={p.current.to_string()}>
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
                        <rect x="0" y={y.to_string()} width={WIDTH.to_string()} height={(lane_h(i) - 3.0).to_string()} class={if i % 2 == 0 { "lane-bg even" } else { "lane-bg odd" }} />
                        <text x="8" y={band_mid(i).to_string()} class="lane-label">
                            { for lane_label_lines(name).into_iter().enumerate().map(|(k, line)| {
                                let n = lane_label_lines(name).len() as f64;
                                // Two lines sit around the band's middle: -0.5em and +0.5em.
                                let dy = if k == 0 { format!("{}em", -0.5 * (n - 1.0)) } else { "1em".to_string() };
                                html! { <tspan x="8" dy={dy}>{ line }</tspan> }
                            }) }
                        </text>
                    </g>
                }
            }) }
            <g class="axis" aria-hidden="true">
                <line class="axis-line" x1={sx(0.0).to_string()} x2={sx(x_max).to_string()} y1={(lanes_bottom + 2.0).to_string()} y2={(lanes_bottom + 2.0).to_string()} />
                { for ticks(x_max).into_iter().map(|t| {
                    let x = sx(t);
                    html! {
                        <g class="tick">
                            <line class="tick-grid" x1={x.to_string()} x2={x.to_string()} y1="4" y2={(lanes_bottom + 7.0).to_string()} />
                            <text x={x.to_string()} y={(lanes_bottom + 19.0).to_string()} text-anchor="middle" class="tick-label">{ fmt_tick(t) }</text>
                        </g>
                    }
                }) }
                <text x="8" y={(lanes_bottom + 19.0).to_string()} class="axis-label">{ format!("{} →", p.x_label) }</text>
            </g>
            { for p.items.iter().enumerate().filter(|(_, i)| shown(i)).map(|(n, i)| {
                let current = i.step == p.current && p.current > 0;
                let ahead = i.step > p.current;
                let cls = classes!(i.kind.class(), current.then_some("current"), ahead.then_some("ahead"));
                let y = lane_y(i.lane);
                let (x0, x1) = (sx(i.x0), sx(i.x1.max(i.x0)));
                let row = layout.rows.get(n).copied().flatten();
                // A label that did not fit inside its block, or a marker's or arrow's label, sits in its lane's row.
                let row_label = || match row {
                    Some((r, x)) => html! { <text x={x.to_string()} y={row_y(i.lane, r).to_string()} class="tl-label">{ i.label.clone() }</text> },
                    None => Html::default(),
                };
                match i.kind {
                    ItemKind::Arrow | ItemKind::LostArrow => {
                        let to = i.to_lane.unwrap_or(i.lane);
                        let (y0, y1) = (band_mid(i.lane), band_mid(to));
                        let lost = i.kind == ItemKind::LostArrow;
                        // A lost message stops half way, crossed out.
                        let (ex, ey) = if lost { ((x0 + x1) / 2.0, (y0 + y1) / 2.0) } else { (x1, y1) };
                        html! {
                            <g class={cls} data-step={i.step.to_string()}>
                                <line x1={x0.to_string()} y1={y0.to_string()} x2={ex.to_string()} y2={ey.to_string()} pathLength={(!lost).then_some("100")}
                                      marker-end={(!lost).then_some("url(#arrowhead)")} />
                                if lost { <text x={ex.to_string()} y={(ey + 5.0).to_string()} class="lost-x" text-anchor="middle">{ "✕" }</text> }
                                { row_label() }
                            </g>
                        }
                    }
                    ItemKind::Marker => html! {
                        <g class={cls} data-step={i.step.to_string()}>
                            <text x={x0.to_string()} y={(band_mid(i.lane) + 6.0).to_string()} text-anchor="middle" class="marker-glyph">{ "⚡" }</text>
                            { row_label() }
                        </g>
                    },
                    ItemKind::Block | ItemKind::Wait | ItemKind::Good | ItemKind::Bad => {
                        let w = (x1 - x0).max(MARK_MIN);
                        html! {
                            <g class={cls} data-step={i.step.to_string()}>
                                <rect x={x0.to_string()} y={(y + 6.0).to_string()} width={w.to_string()} height={(BAND_H - 4.0).to_string()} rx="4" />
                                if row.is_none() {
                                    <text x={(x0 + 4.0).to_string()} y={(band_mid(i.lane) + 4.0).to_string()} class="tl-label">{ i.label.clone() }</text>
                                }
                                { row_label() }
                            </g>
                        }
                    }
                }
            }) }
            if let Some(cx) = cursor {
                <line class="cursor" x1={sx(cx).to_string()} x2={sx(cx).to_string()} y1="0" y2={(lanes_bottom + 2.0).to_string()} />
            }
        </svg>
        </div>
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

/// The text twin of a timeline: what happened so far, newest last. The log
/// scrolls itself (never the page) to keep the current line in view.
#[component]
pub fn EventLog(p: &EventLogProps) -> Html {
    let shown = p.current.min(p.lines.len());
    let list = use_node_ref();
    {
        let list = list.clone();
        use_effect_with(shown, move |_| {
            let Some(ol) = list.cast::<web_sys::Element>() else { return };
            let Some(li) = ol.last_element_child() else { return };
            // The list scrolls itself, or sits in a lab's scrolling box: move
            // the nearest one that scrolls, never the page.
            let mut scroller = Some(ol);
            for _ in 0..4 {
                match scroller.clone() {
                    Some(el) if el.scroll_height() > el.client_height() + 1 => break,
                    Some(el) => {
                        scroller =
                            el.parent_element().filter(|p| !matches!(p.tag_name().as_str(), "BODY" | "HTML" | "MAIN"))
                    }
                    None => break,
                }
            }
            let Some(boxed) = scroller.filter(|el| el.scroll_height() > el.client_height() + 1) else { return };
            let (r, b) = (li.get_bounding_client_rect(), boxed.get_bounding_client_rect());
            if r.top() < b.top() {
                boxed.set_scroll_top(boxed.scroll_top() - (b.top() - r.top()).ceil() as i32);
            } else if r.bottom() > b.bottom() {
                boxed.set_scroll_top(boxed.scroll_top() + (r.bottom() - b.bottom()).ceil() as i32);
            }
        });
    }
    html! {
        <details class="event-log" open=true>
            <summary>{ format!("Event log ({shown} of {})", p.lines.len()) }</summary>
            // Focusable, so keyboard users can scroll a long log (axe: scrollable-region-focusable).
            <ol tabindex="0" aria-label="Event log" aria-live="off" ref={list}>
                { for p.lines.iter().take(shown).enumerate().map(|(i, l)| html! {
                    <li class={classes!((i + 1 == shown).then_some("current"))}>{ l.clone() }</li>
                }) }
            </ol>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(lane: usize, x0: f64, x1: f64, label: &str, kind: ItemKind) -> TimelineItem {
        TimelineItem { lane, to_lane: None, x0, x1, label: label.to_string().into(), kind, step: 1 }
    }

    #[test]
    fn labels_that_would_overlap_go_to_separate_rows() {
        let sx = |x: f64| GUTTER + x;
        let items = [
            item(0, 10.0, 12.0, "charge_created wiped (1)", ItemKind::Marker),
            item(0, 20.0, 200.0, "op 1", ItemKind::Wait),
            item(0, 30.0, 31.0, "a long label that does not fit", ItemKind::Block),
            item(1, 10.0, 12.0, "another lane", ItemKind::Marker),
        ];
        let l = layout_labels(2, &items, sx);
        assert_eq!(l.rows[1], None, "a label that fits inside its bar stays inside");
        let (r0, r2) = (l.rows[0].unwrap().0, l.rows[2].unwrap().0);
        assert_ne!(r0, r2, "two overlapping labels share no row");
        assert_eq!(l.rows[3].unwrap().0, 0, "each lane has its own rows");
        assert_eq!(l.lane_rows, vec![2, 1]);
    }

    #[test]
    fn a_label_near_the_right_edge_stays_inside_the_drawing() {
        let items = [item(0, 99.0, 100.0, "crash at the very end", ItemKind::Marker)];
        let l = layout_labels(1, &items, |x| GUTTER + x / 100.0 * (WIDTH - GUTTER - PAD));
        let (_, x) = l.rows[0].unwrap();
        assert!(x + label_width("crash at the very end") <= WIDTH, "{x}");
    }

    #[test]
    fn ticks_are_round_and_cover_the_axis() {
        assert_eq!(ticks(10.0), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ticks(1.0)[1], 0.2);
        assert_eq!(ticks(f64::NAN), vec![0.0]);
        let t = ticks(734.0);
        assert!(t.len() >= 4 && t.len() <= 8 && *t.last().unwrap() <= 734.0, "{t:?}");
    }

    #[test]
    fn a_lane_name_of_the_longest_allowed_length_fits_the_gutter_on_two_lines() {
        for name in ["T1 (row, then lock)", "T2 (lock, then row)", "T1 (request A)", "abcdefghijklmnopqrstuvwx"] {
            let lines = lane_label_lines(name);
            assert!(lines.len() <= 2, "{name}: {lines:?}");
            assert_eq!(lines.join(if lines.len() == 2 && name.contains(' ') { " " } else { "" }), name);
            for l in &lines {
                assert!(l.chars().count() as f64 * (CHAR_W + 0.5) <= GUTTER - 12.0, "{name}: {l:?} is cut");
            }
        }
        assert_eq!(lane_label_lines("T1 (request A)"), vec!["T1 (request A)"]);
    }
}
