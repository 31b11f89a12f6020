//! SVG charts with axes, units and legends. Series differ by dash pattern and
//! marker shape as well as colour, so they read in greyscale too.

use super::num::{fixed, push_fixed};
use std::rc::Rc;
use yew::prelude::*;

/// One line of a [`LineChart`].
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text.
    pub name: AttrValue,
    /// (x, y) points in data units, in x order.
    pub points: Vec<(f64, f64)>,
}

/// Props of [`LineChart`].
#[derive(Properties, PartialEq, Clone)]
pub struct LineChartProps {
    /// Accessible title and caption.
    pub title: AttrValue,
    /// Axis label with unit, e.g. "time (s)".
    pub x_label: AttrValue,
    /// Axis label with unit.
    pub y_label: AttrValue,
    /// The lines.
    pub series: Vec<Series>,
    /// Fixed y maximum; otherwise the data's.
    #[prop_or_default]
    pub y_max: Option<f64>,
    /// An x (in data units) to mark with a vertical cursor line, e.g. the current step.
    #[prop_or_default]
    pub cursor_x: Option<f64>,
    /// Fixed x maximum (e.g. a run's duration); otherwise the data's, rounded up.
    #[prop_or_default]
    pub x_max: Option<f64>,
    /// An x range (in data units) to shade, e.g. an outage window.
    #[prop_or_default]
    pub band: Option<(f64, f64)>,
    /// An x (in data units) from which the plot is covered until the
    /// learner predicts what it shows.
    #[prop_or_default]
    pub mask_from: Option<f64>,
}

const W: f64 = 560.0;
const H: f64 = 260.0;
const L: f64 = 58.0;
const R: f64 = 12.0;
const T: f64 = 12.0;
const B: f64 = 42.0;
/// The `viewBox` of every chart (W × H).
const VIEW_BOX: &str = "0 0 560 260";
/// Dash patterns per series index: solid, dashed, dotted, dash-dot, long dash, fine dash.
pub const DASHES: [&str; 6] = ["", "8 4", "2 3", "8 3 2 3", "14 4", "4 2"];

fn nice_max(v: f64) -> f64 {
    // A negated comparison on purpose: NaN and non-positive values both fall back.
    #[allow(clippy::neg_cmp_op_on_partial_ord, reason = "NaN must fall back too")]
    if !(v > 0.0) || !v.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if v <= m * mag {
            return m * mag;
        }
    }
    10.0 * mag
}

/// Formats an axis tick compactly.
pub fn fmt_tick(v: f64) -> String {
    let a = v.abs();
    if a >= 1_000_000.0 {
        format!("{:.1}M", v / 1_000_000.0)
    } else if a >= 10_000.0 {
        format!("{:.0}k", v / 1_000.0)
    } else if a >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn axes(x_max: f64, y_max: f64, x_label: &AttrValue, y_label: &AttrValue) -> Html {
    let ticks = 5;
    html! {
        <g class="axes">
            <line x1={L.to_string()} y1={(H - B).to_string()} x2={(W - R).to_string()} y2={(H - B).to_string()} />
            <line x1={L.to_string()} y1={T.to_string()} x2={L.to_string()} y2={(H - B).to_string()} />
            { for (0..=ticks).map(|i| {
                let f = i as f64 / ticks as f64;
                let (x, y) = (L + f * (W - L - R), H - B - f * (H - T - B));
                html! {
                    <g class="tick">
                        <line class="grid" x1={L.to_string()} x2={(W - R).to_string()} y1={y.to_string()} y2={y.to_string()} />
                        <text x={(L - 6.0).to_string()} y={(y + 4.0).to_string()} text-anchor="end">{ fmt_tick(f * y_max) }</text>
                        <text x={x.to_string()} y={(H - B + 16.0).to_string()} text-anchor="middle">{ fmt_tick(f * x_max) }</text>
                    </g>
                }
            }) }
            <text class="axis-label" x={((L + W - R) / 2.0).to_string()} y={(H - 6.0).to_string()} text-anchor="middle">{ x_label.clone() }</text>
            <text class="axis-label" transform={format!("translate(14 {}) rotate(-90)", (T + H - B) / 2.0)} text-anchor="middle">{ y_label.clone() }</text>
        </g>
    }
}

/// A dashed vertical line at `x`, when there is one.
fn cursor(x: Option<f64>, x_max: f64) -> Html {
    let Some(x) = x.filter(|x| x.is_finite()) else { return Html::default() };
    let cx = L + (x / x_max).clamp(0.0, 1.0) * (W - L - R);
    html! { <line class="cursor" x1={fixed(cx, 1)} x2={fixed(cx, 1)} y1={T.to_string()} y2={(H - B).to_string()} /> }
}

/// A shaded x range from `x0` to `x1`, when there is one.
fn band(range: Option<(f64, f64)>, x_max: f64) -> Html {
    let Some((x0, x1)) = range.filter(|(a, b)| a.is_finite() && b.is_finite() && b > a) else {
        return Html::default();
    };
    let sx = |x: f64| L + (x / x_max).clamp(0.0, 1.0) * (W - L - R);
    html! { <rect class="band" x={fixed(sx(x0), 1)} y={T.to_string()} width={fixed(sx(x1) - sx(x0), 1)} height={(H - T - B).to_string()} /> }
}

/// Covers the plot from `x` to its right edge, when there is an `x`.
fn mask(x: Option<f64>, x_max: f64) -> Html {
    let Some(x) = x.filter(|x| x.is_finite() && *x < x_max) else { return Html::default() };
    let x0 = L + (x / x_max).clamp(0.0, 1.0) * (W - L - R);
    let w = W - R - x0;
    html! {
        <g class="chart-mask">
            <rect x={fixed(x0, 1)} y={T.to_string()} width={fixed(w, 1)} height={(H - T - B + 2.0).to_string()} />
            <text x={fixed(x0 + w / 2.0, 1)} y={((T + H - B) / 2.0).to_string()} text-anchor="middle">{ "hidden until you predict" }</text>
        </g>
    }
}

/// Props of [`LinePaths`]: what the lines depend on, and nothing else.
#[derive(Properties, PartialEq, Clone)]
struct LinePathsProps {
    series: Vec<Series>,
    x_max: f64,
    y_max: f64,
}

/// The lines of a [`LineChart`]: their own component, so moving the cursor
/// (a step) re-renders the cursor line, not every point.
#[component]
fn LinePaths(p: &LinePathsProps) -> Html {
    let (x_max, y_max) = (p.x_max, p.y_max);
    let sx = |x: f64| L + (x / x_max).clamp(0.0, 1.0) * (W - L - R);
    let sy = |y: f64| H - B - (y / y_max).clamp(0.0, 1.0) * (H - T - B);
    html! {
        <>{ for p.series.iter().enumerate().map(|(i, s)| {
            let mut d = String::with_capacity(s.points.len() * 14);
            for (j, (x, y)) in s.points.iter().enumerate() {
                d.push_str(if j == 0 { "M" } else { " L" });
                push_fixed(&mut d, sx(*x), 1);
                d.push(',');
                push_fixed(&mut d, sy(*y), 1);
            }
            html! { <path d={d} class={SERIES_CLASS[i % 6]} stroke-dasharray={DASHES[i % 6]} fill="none" /> }
        }) }</>
    }
}

/// Props of [`Axes`].
#[derive(Properties, PartialEq, Clone)]
struct AxesProps {
    x_max: f64,
    y_max: f64,
    x_label: AttrValue,
    y_label: AttrValue,
}

/// The axes of a chart, re-rendered only when their scale or labels change.
#[component]
fn Axes(p: &AxesProps) -> Html {
    axes(p.x_max, p.y_max, &p.x_label, &p.y_label)
}

/// The class of series `i % 6`, without formatting one per render.
const SERIES_CLASS: [&str; 6] = ["series s0", "series s1", "series s2", "series s3", "series s4", "series s5"];

/// A line chart.
#[component]
pub fn LineChart(p: &LineChartProps) -> Html {
    let all = p.series.iter().flat_map(|s| s.points.iter());
    let x_max =
        p.x_max.filter(|x| *x > 0.0).unwrap_or_else(|| nice_max(all.clone().map(|(x, _)| *x).fold(0.0, f64::max)));
    let y_max = p.y_max.unwrap_or_else(|| nice_max(all.map(|(_, y)| *y).fold(0.0, f64::max)));
    html! {
        <figure class="chart" tabindex="0">
            <svg viewBox={VIEW_BOX} role="img" aria-label={p.title.clone()}>
                { band(p.band, x_max) }
                <Axes x_max={x_max} y_max={y_max} x_label={p.x_label.clone()} y_label={p.y_label.clone()} />
                <LinePaths series={p.series.clone()} x_max={x_max} y_max={y_max} />
                { mask(p.mask_from, x_max) }
                { cursor(p.cursor_x, x_max) }
            </svg>
            <figcaption>
                <span class="chart-title">{ p.title.clone() }</span>
                <ul class="legend">
                    { for p.series.iter().enumerate().map(|(i, s)| html! {
                        <li>
                            <svg width="34" height="10" aria-hidden="true"><line x1="0" y1="5" x2="34" y2="5" class={SERIES_CLASS[i % 6]} stroke-dasharray={DASHES[i % 6]} /></svg>
                            { s.name.clone() }
                        </li>
                    }) }
                </ul>
            </figcaption>
        </figure>
    }
}

/// One bar of a [`BarChart`]: stacked segments from the bottom up.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// The x label of the bar (its bucket).
    pub x: f64,
    /// Segment heights, in the order of `BarChartProps::stack_names`.
    pub segments: Vec<f64>,
}

/// Props of [`BarChart`].
#[derive(Properties, PartialEq, Clone)]
pub struct BarChartProps {
    /// Accessible title and caption.
    pub title: AttrValue,
    /// Axis label with unit.
    pub x_label: AttrValue,
    /// Axis label with unit.
    pub y_label: AttrValue,
    /// Legend names of the stacked segments.
    pub stack_names: Vec<AttrValue>,
    /// Bars, in x order, evenly spaced (shared: a step re-renders the chart
    /// with the same bars, and compares them by pointer first).
    pub bars: Rc<[Bar]>,
    /// The x value at the right edge.
    pub x_max: f64,
    /// An x (in the units of `x_max`) to mark with a vertical cursor line.
    #[prop_or_default]
    pub cursor_x: Option<f64>,
    /// An x range (in the units of `x_max`) to shade, e.g. an outage window.
    #[prop_or_default]
    pub band: Option<(f64, f64)>,
    /// A horizontal reference line (a capacity), in y units, with its legend name.
    #[prop_or_default]
    pub hline: Option<(f64, AttrValue)>,
    /// An x (in the units of `x_max`) from which the plot is covered until
    /// the learner predicts what it shows.
    #[prop_or_default]
    pub mask_from: Option<f64>,
}

/// Props of [`BarRects`]: what the bars depend on, and nothing else.
#[derive(Properties, PartialEq, Clone)]
struct BarRectsProps {
    bars: Rc<[Bar]>,
    y_max: f64,
}

/// The bars of a [`BarChart`]: their own component, so moving the cursor
/// (a step) does not rebuild them. Each stack level is one `<path>` of
/// closed rectangles, not a `<rect>` per bar and level: the same picture
/// (each rectangle filled and outlined alike) with 4 elements instead of
/// up to 480, which is most of what a knob change used to write into the
/// DOM (issue 13).
#[component]
fn BarRects(p: &BarRectsProps) -> Html {
    let n = p.bars.len().max(1) as f64;
    let bw = (W - L - R) / n;
    let y_max = p.y_max;
    let sy = |y: f64| (y / y_max).clamp(0.0, 1.0) * (H - T - B);
    let w = fixed((bw * 0.84).max(0.5), 2);
    let levels = p.bars.iter().map(|b| b.segments.len()).max().unwrap_or(0);
    let mut paths = vec![String::new(); levels];
    for (i, b) in p.bars.iter().enumerate() {
        let x = L + i as f64 * bw + bw * 0.08;
        let mut base = H - B;
        for (k, v) in b.segments.iter().enumerate() {
            let h = sy(*v);
            base -= h;
            if h > 0.0 {
                let d = &mut paths[k];
                d.push('M');
                push_fixed(d, x, 2);
                d.push(' ');
                push_fixed(d, base, 2);
                d.push('h');
                d.push_str(&w);
                d.push('v');
                push_fixed(d, h, 2);
                d.push_str("h-");
                d.push_str(&w);
                d.push('Z');
            }
        }
    }
    html! {
        <>{ for paths.into_iter().enumerate().filter(|(_, d)| !d.is_empty()).map(|(k, d)| html! {
            <path d={d} class={SEG_CLASS[k % 4]} />
        }) }</>
    }
}

/// The class of stack segment `k % 4`.
const SEG_CLASS: [&str; 4] = ["seg k0", "seg k1", "seg k2", "seg k3"];

/// A stacked bar chart (also a histogram, with one segment).
#[component]
pub fn BarChart(p: &BarChartProps) -> Html {
    let top = p.bars.iter().map(|b| b.segments.iter().sum::<f64>()).fold(0.0, f64::max);
    let y_max = nice_max(top.max(p.hline.as_ref().map_or(0.0, |(y, _)| *y)));
    let n = p.bars.len().max(1) as f64;
    let x_max = if p.x_max > 0.0 { p.x_max } else { n };
    let sy = |y: f64| (y / y_max).clamp(0.0, 1.0) * (H - T - B);
    html! {
        <figure class="chart" tabindex="0">
            <svg viewBox={VIEW_BOX} role="img" aria-label={p.title.clone()}>
                { band(p.band, x_max) }
                <Axes x_max={x_max} y_max={y_max} x_label={p.x_label.clone()} y_label={p.y_label.clone()} />
                <BarRects bars={p.bars.clone()} y_max={y_max} />
                if let Some((y, _)) = &p.hline {
                    <line class="hline" x1={L.to_string()} x2={(W - R).to_string()} y1={fixed(H - B - sy(*y), 1)} y2={fixed(H - B - sy(*y), 1)} />
                }
                { mask(p.mask_from, x_max) }
                { cursor(p.cursor_x, x_max) }
            </svg>
            <figcaption>
                <span class="chart-title">{ p.title.clone() }</span>
                <ul class="legend">
                    { for p.stack_names.iter().enumerate().map(|(k, s)| html! {
                        <li><svg width="14" height="14" aria-hidden="true"><rect width="14" height="14" class={SEG_CLASS[k % 4]} /></svg>{ s.clone() }</li>
                    }) }
                    if let Some((_, name)) = &p.hline {
                        <li><svg width="34" height="10" aria-hidden="true"><line x1="0" y1="5" x2="34" y2="5" class="hline" /></svg>{ name.clone() }</li>
                    }
                </ul>
            </figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_max_rounds_up_to_a_readable_bound() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(180.0), 200.0);
        assert_eq!(nice_max(f64::NAN), 1.0);
    }

    #[test]
    fn the_view_box_is_the_charts_size() {
        assert_eq!(VIEW_BOX, format!("0 0 {W} {H}"));
    }

    #[test]
    fn ticks_are_compact() {
        assert_eq!(fmt_tick(25_000.0), "25k");
        assert_eq!(fmt_tick(0.25), "0.25");
        assert_eq!(fmt_tick(3.0), "3");
    }
}
