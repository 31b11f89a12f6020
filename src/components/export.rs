//! Export: the current trace as JSON, the counters as CSV, and the permalink.

use crate::components::Counter;
use crate::query::Query;
use crate::web;
use yew::prelude::*;

/// Props of [`ExportBar`].
#[derive(Properties, PartialEq, Clone)]
pub struct ExportBarProps {
    /// File name stem, e.g. "races-select-then-insert".
    pub name: AttrValue,
    /// Builds the trace JSON on demand (only when the button is pressed).
    pub trace_json: Callback<(), String>,
    /// The counters shown, exported as CSV.
    pub counters: Vec<Counter>,
    /// Builds the run's report (counters as numbers, parameters, seed, trace
    /// hash, permalink) when the CSV button is pressed: the trace hash is a
    /// pass over the whole trace, so no render pays for it. `None` (no run)
    /// exports the counters as shown. Labs get it from `LabLink::report_maker`.
    pub make_report: Callback<(), Option<idemlab_sim::lab::Report>>,
    /// The permalink state.
    pub query: Query,
}

/// Renders counters as CSV: `counter,label,value`.
pub fn counters_csv(counters: &[Counter]) -> String {
    let esc = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = String::from("counter,label,value\n");
    for c in counters {
        out.push_str(&format!("{},{},{}\n", c.id, esc(&c.label), esc(&c.value)));
    }
    out
}

/// Buttons to download the trace and counters and to copy the permalink.
#[component]
pub fn ExportBar(p: &ExportBarProps) -> Html {
    let copied = use_state(|| false);
    let trace = {
        let (name, f) = (p.name.clone(), p.trace_json.clone());
        Callback::from(move |_| web::download(&format!("{name}-trace.json"), "application/json", &f.emit(())))
    };
    let csv = {
        let (name, counters, make) = (p.name.clone(), p.counters.clone(), p.make_report.clone());
        Callback::from(move |_| {
            let text = match &make.emit(()) {
                Some(r) => idemlab_sim::labs::csv_for(r),
                None => counters_csv(&counters),
            };
            web::download(&format!("{name}-counters.csv"), "text/csv", &text)
        })
    };
    let copy = {
        let (q, copied) = (p.query.clone(), copied.clone());
        Callback::from(move |_| {
            web::copy_text(&web::permalink(&q));
            copied.set(true);
        })
    };
    html! {
        <div class="export-bar" role="group" aria-label="Export">
            <button type="button" class="export-trace" onclick={trace}>{ "Download trace (JSON)" }</button>
            <button type="button" class="export-csv" onclick={csv}>{ "Download counters (CSV)" }</button>
            <button type="button" class="copy-link" onclick={copy}>{ if *copied { "Link copied ✓" } else { "Copy permalink" } }</button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_labels_and_values() {
        let csv = counters_csv(&[Counter::new("double_charges", "Double \"charges\"", 3)]);
        assert_eq!(csv, "counter,label,value\ndouble_charges,\"Double \"\"charges\"\"\",\"3\"\n");
    }
}
