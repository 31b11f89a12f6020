//! The registry: every lab, once. A lab is added by its module and one line
//! in [`with_labs!`]; everything that lists the labs is generated from it:
//! the [`Area`] enum and its slugs, the permalink dispatch below
//! ([`run_area`], [`csv_of`], [`preset_links`]), the CLI's subcommands
//! (`cli/src/main.rs`), the page router (`src/labs/mod.rs`), the lock
//! tables (`src/shell/locks.rs`) and the lab lists the tests walk (through
//! [`Area::visit`], and `tests/e2e/labs.json` for the browser tests). A test
//! (`cli/tests/registry.rs`) reads the tree and fails on a hand-written list
//! of labs anywhere else.

use crate::error::SimError;
use crate::lab::{run_link, Lab, Registered, Report};
use crate::permalink::{clip, Query};

/// Calls `$callback!` with one line per lab: the [`Area`] variant, its
/// `area=` slug (also its CLI subcommand and JSON `lab` name), its
/// navigation title, its engine (a [`Lab`]) and the CLI names it answered
/// to before (kept as aliases so old scripts keep working).
#[macro_export]
macro_rules! with_labs {
    ($callback:ident) => {
        $callback! {
            About "about" "About" $crate::delivery::DeliveryLab ["delivery"],
            Keys "keys" "Keys" $crate::keys::KeysLab [],
            Retries "retries" "Retries" $crate::retries::RetriesLab ["retry"],
            Outbox "outbox" "Outbox" $crate::outbox::OutboxLab [],
            Races "races" "Races" $crate::races::RacesLab ["race"],
        }
    };
}

/// Something done with one lab's engine type, chosen at run time by
/// [`Area::visit`]: the way generic code walks every lab without a list.
pub trait LabVisitor {
    /// What the visit gives back.
    type Out;
    /// Does the work for lab `L`.
    fn lab<L: Lab + 'static>(self) -> Self::Out;
}

macro_rules! define_areas {
    ($($var:ident $slug:literal $title:literal $ty:path [$($alias:literal),*],)*) => {
        /// Every page of the app: one per lab in the registry, then Recall
        /// (retrieval practice and the guided lessons), which runs no engine.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Area {
            $(
                #[doc = concat!("The ", $title, " lab.")]
                $var,
            )*
            /// Retrieval practice over the six points, and the guided lessons.
            Recall,
        }

        impl Area {
            /// Every area in navigation order.
            pub const ALL: &'static [Area] = &[$(Area::$var,)* Area::Recall];
            /// The areas that run an engine, in navigation order.
            pub const LABS: &'static [Area] = &[$(Area::$var,)*];

            /// The value of `area=` in a permalink, and the lab's CLI subcommand.
            pub const fn slug(self) -> &'static str {
                match self {
                    $(Area::$var => $slug,)*
                    Area::Recall => "recall",
                }
            }

            /// The navigation label.
            pub const fn title(self) -> &'static str {
                match self {
                    $(Area::$var => $title,)*
                    Area::Recall => "Recall",
                }
            }

            /// The CLI names the lab answered to before its slug (aliases).
            pub const fn cli_aliases(self) -> &'static [&'static str] {
                match self {
                    $(Area::$var => &[$($alias),*],)*
                    Area::Recall => &[],
                }
            }

            /// Runs `v` with this area's engine type; `None` for Recall.
            pub fn visit<V: LabVisitor>(self, v: V) -> Option<V::Out> {
                match self {
                    $(Area::$var => Some(v.lab::<$ty>()),)*
                    Area::Recall => None,
                }
            }
        }

        $(
            impl Registered for $ty {
                const SLUG: &'static str = $slug;
            }
        )*
    };
}

with_labs!(define_areas);

impl Area {
    /// Reads an area from its slug.
    pub fn from_slug(s: &str) -> Option<Area> {
        Area::ALL.iter().copied().find(|a| a.slug() == s)
    }

    /// Reads a lab from its CLI name: the slug, or an old name kept as an alias.
    pub fn from_cli_name(s: &str) -> Option<Area> {
        Area::LABS.iter().copied().find(|a| a.slug() == s || a.cli_aliases().contains(&s))
    }
}

impl Query {
    /// The area the link names; About with a warning for an unknown one.
    pub fn area(&mut self) -> Area {
        match self.get("area") {
            None => Area::About,
            Some(s) => match Area::from_slug(s) {
                Some(a) => a,
                None => {
                    let msg = format!("There is no area called {:?}; showing About instead.", clip(s));
                    self.warnings.push(msg);
                    Area::About
                }
            },
        }
    }
}

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
    struct RunLink<'a>(&'a mut Query);
    impl LabVisitor for RunLink<'_> {
        type Out = Result<Report, SimError>;
        fn lab<L: Lab + 'static>(self) -> Self::Out {
            run_link::<L>(self.0)
        }
    }
    area.visit(RunLink(q)).unwrap_or_else(|| {
        Err(SimError::InvalidParameter { name: "area", reason: format!("the {} page runs no engine", area.slug()) })
    })
}

/// The report of `area`'s lab as a CSV header and one row.
pub fn csv_of(area: Area, report: &Report) -> String {
    struct Csv<'a>(&'a Report);
    impl LabVisitor for Csv<'_> {
        type Out = String;
        fn lab<L: Lab + 'static>(self) -> String {
            format!("{}\n{}\n", self.0.csv_header::<L::Params>(), self.0.csv_row())
        }
    }
    area.visit(Csv(report)).unwrap_or_else(|| report.csv_row() + "\n")
}

/// The report as a CSV header and one row, for the lab it names.
pub fn csv_for(report: &Report) -> String {
    match Area::from_slug(report.lab) {
        Some(area) => csv_of(area, report),
        None => report.csv_row() + "\n",
    }
}

/// Every preset's permalink, for each lab in the registry: what the
/// reproduction tests walk.
pub fn preset_links() -> Vec<String> {
    struct Links;
    impl LabVisitor for Links {
        type Out = Vec<String>;
        fn lab<L: Lab + 'static>(self) -> Vec<String> {
            L::presets()
                .iter()
                .map(|pr| {
                    let mut q = Query::default();
                    q.set("area", L::SLUG);
                    let p = L::preset_params(pr);
                    crate::lab::write_link(&mut q, Some(pr), &p);
                    q.to_search()
                })
                .collect()
        }
    }
    Area::LABS.iter().filter_map(|a| a.visit(Links)).flatten().collect()
}
