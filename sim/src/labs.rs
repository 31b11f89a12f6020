//! Every lab under the engine contract, by its `area=` slug: the one place
//! that turns any permalink into a run. `idemlab url` prints what this
//! returns, and the browser's download holds the same report.

use crate::error::SimError;
use crate::lab::{run_link, Report};
use crate::permalink::{Area, Query};

/// Runs the lab a permalink names and reports it. A link may be the query
/// string (`?area=keys&…` or without the `?`) or a whole URL.
pub fn run_permalink(link: &str) -> Result<Report, String> {
    let search = match link.find('?') {
        Some(i) => &link[i..],
        None if link.contains("://") => "",
        None => link,
    };
    // A fragment is not part of the state.
    let search = search.split('#').next().unwrap_or("");
    let mut q = Query::parse(search);
    let area = q.area();
    run_area(area, &mut q).map_err(|e| e.to_string())
}

/// Runs `area`'s lab on the link `q`.
pub fn run_area(area: Area, q: &mut Query) -> Result<Report, SimError> {
    match area {
        Area::Keys => run_link::<crate::keys::KeysLab>(q),
        Area::Retries => run_link::<crate::retries::RetriesLab>(q),
        Area::Races => run_link::<crate::races::RacesLab>(q),
        Area::About => run_link::<crate::delivery::DeliveryLab>(q),
        Area::Outbox => run_link::<crate::outbox::OutboxLab>(q),
        Area::Recall => Err(SimError::InvalidParameter {
            name: "area",
            reason: format!("the {} page has no engine run under the lab contract yet", area.slug()),
        }),
    }
}

/// The report of `area`'s lab as a CSV header and one row.
pub fn csv_of(area: Area, report: &Report) -> String {
    fn csv<L: crate::lab::Lab>(r: &Report) -> String {
        format!("{}\n{}\n", r.csv_header::<L::Params>(), r.csv_row())
    }
    match area {
        Area::Keys => csv::<crate::keys::KeysLab>(report),
        Area::Retries => csv::<crate::retries::RetriesLab>(report),
        Area::Races => csv::<crate::races::RacesLab>(report),
        Area::About => csv::<crate::delivery::DeliveryLab>(report),
        Area::Outbox => csv::<crate::outbox::OutboxLab>(report),
        Area::Recall => report.csv_row() + "\n",
    }
}

/// The report as a CSV header and one row, for the lab it names.
pub fn csv_for(report: &Report) -> String {
    match Area::from_slug(report.lab) {
        Some(area) => csv_of(area, report),
        None => report.csv_row() + "\n",
    }
}

/// Every preset's permalink, for each lab under the contract: what the
/// reproduction tests walk.
pub fn preset_links() -> Vec<String> {
    fn links<L: crate::lab::Lab>(out: &mut Vec<String>) {
        for pr in L::presets() {
            let mut q = Query::default();
            q.set("area", L::SLUG);
            let p = L::preset_params(pr);
            crate::lab::write_link(&mut q, Some(pr), &p);
            L::write_extra(&mut q, &p);
            out.push(q.to_search());
        }
    }
    let mut out = Vec::new();
    links::<crate::keys::KeysLab>(&mut out);
    links::<crate::retries::RetriesLab>(&mut out);
    links::<crate::races::RacesLab>(&mut out);
    links::<crate::delivery::DeliveryLab>(&mut out);
    links::<crate::outbox::OutboxLab>(&mut out);
    out
}
