//! The app shell: header, navigation, the link-problem banner and the area.
//!
//! The URL is the source of truth for everything that matters: the shell
//! parses it once per change and hands each lab its `Query` plus a callback
//! that writes a new one back.

use crate::labs;
use crate::query::{Area, Query};
use crate::web;
use yew::prelude::*;

/// What every lab receives: the permalink state and a way to change it.
#[derive(Properties, PartialEq, Clone)]
pub struct LabProps {
    /// The parsed query of the current URL.
    pub query: Query,
    /// Writes a new query into the URL (replacing the history entry).
    pub on_query: Callback<Query>,
}

/// The application's root component.
#[component]
pub fn App() -> Html {
    let search = use_state(web::current_search);

    // Back and forward buttons change the URL without us; follow them.
    {
        let search = search.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|w| {
                web::listen(&w, "popstate", move |_| search.set(web::current_search()))
            });
            move || drop(listener)
        });
    }

    let mut query = Query::parse(&search);
    let area = query.area();
    let embed = query.flag("embed", false);
    let warnings = query.warnings.clone();

    let on_query = {
        let search = search.clone();
        Callback::from(move |q: Query| {
            web::write_url(&q, false);
            search.set(q.to_search());
        })
    };
    let go = {
        let search = search.clone();
        move |a: Area| {
            let search = search.clone();
            Callback::from(move |e: MouseEvent| {
                e.prevent_default();
                let mut q = Query::default();
                q.set("area", a.slug());
                web::write_url(&q, true);
                search.set(q.to_search());
            })
        }
    };

    let body = labs::render(area, query.clone(), on_query.clone());
    let banner = (!warnings.is_empty()).then(|| {
        html! {
            <div class="link-warning" role="status" id="link-warning">
                <strong>{ "This link had problems, so defaults were used where needed:" }</strong>
                <ul>{ for warnings.iter().map(|w| html! { <li>{ w.clone() }</li> }) }</ul>
            </div>
        }
    });

    if embed {
        return html! { <main class="embed" id="main">{ banner }{ body }</main> };
    }
    html! {
        <>
            <a class="skip" href="#main">{ "Skip to the lab" }</a>
            <header class="site">
                <div class="brand">
                    <span class="logo" aria-hidden="true">{ "⟲¹" }</span>
                    <div>
                        <h1>{ "Idempotency Lab" }</h1>
                        <p class="tagline">{ "Exactly-once is an illusion. Build effectively-once: at-least-once delivery plus deduplication." }</p>
                    </div>
                </div>
                <nav aria-label="Labs">
                    <ul>
                        { for Area::ALL.iter().map(|a| {
                            let current = *a == area;
                            let href = format!("?area={}", a.slug());
                            html! {
                                <li>
                                    <a href={href} class={classes!(current.then_some("current"))}
                                       aria-current={current.then_some("page")}
                                       data-area={a.slug()} onclick={go(*a)}>{ a.title() }</a>
                                </li>
                            }
                        }) }
                    </ul>
                </nav>
            </header>
            <main id="main" tabindex="-1">{ banner }{ body }</main>
            <footer class="site">
                <p>{ "Everything runs in your browser: a deterministic simulation in WebAssembly, driven by one seed. Every screen is a permalink." }</p>
            </footer>
        </>
    }
}

