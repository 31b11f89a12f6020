//! The app shell: header, navigation, the link-problem banner and the area.
//!
//! The URL is the source of truth for everything that matters: the shell
//! parses it once per change and hands each lab its `Query` plus a callback
//! that writes a new one back.

use crate::labs;
use crate::query::{Area, Query};
use crate::shell::{PageMode, View};
use crate::web;
use yew::prelude::*;

/// The application's root component.
#[component]
pub fn App() -> Html {
    let search = use_state(web::current_search);

    // The latest search string, for listeners registered once.
    let latest = use_mut_ref(String::new);
    *latest.borrow_mut() = (*search).clone();

    let mut query = Query::parse(&search);
    // A deliberate panic, so the end-to-end tests can prove that the panic
    // hook shows a failure in the page instead of dying silently.
    if query.get("selftest") == Some("panic") {
        panic!("self-test panic requested by the link (selftest=panic)");
    }
    let area = query.area();
    let embed = query.flag("embed", false);
    let mode = PageMode { embed, view: View::read(&mut query) };
    let origins: Vec<String> = query
        .get("origins")
        .map(|o| o.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect())
        .unwrap_or_default();

    // Back and forward buttons change the URL without us; follow them. An
    // embedding page may set parameters by message, but only from an origin
    // it listed in `origins=`, and never a locked one.
    {
        let (search, latest) = (search.clone(), latest.clone());
        use_effect_with(origins.clone(), move |origins| {
            let origins = origins.clone();
            let guards = web_sys::window().map(|w| {
                let s1 = search.clone();
                let pop = web::listen(&w, "popstate", move |_| s1.set(web::current_search()));
                let msg = web::listen(&w, "message", move |e| {
                    let Some(params) = web::host_message(&e, &origins) else { return };
                    let mut q = Query::parse(&latest.borrow());
                    q.warnings.clear();
                    for (k, v) in params {
                        if !q.locked(&k) {
                            q.set(&k, v);
                        }
                    }
                    web::write_url(&q, false);
                    search.set(q.to_search());
                });
                (pop, msg)
            });
            move || drop(guards)
        });
    }

    // Tell an embedding page about step changes and our height.
    {
        let step = query.get("step").map(str::to_string);
        use_effect_with((area, step), move |(area, step)| {
            if let Some(step) = step {
                web::post_event("step", area.slug(), serde_json::json!({ "step": step }));
            }
        });
    }
    use_effect(move || {
        if embed {
            web::post_height(area.slug());
        }
    });

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

    let body = html! {
        <ContextProvider<PageMode> context={mode}>{ labs::render(area, query.clone(), on_query.clone()) }</ContextProvider<PageMode>>
    };
    if embed {
        return html! { <main class="embed" id="main">{ body }</main> };
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
            <main id="main" tabindex="-1">{ body }<EmbedPanel query={query.clone()} /></main>
            <footer class="site">
                <p>{ "Everything runs in your browser: a deterministic simulation in WebAssembly, driven by one seed. Every screen is a permalink." }</p>
            </footer>
        </>
    }
}

/// Props of [`EmbedPanel`].
#[derive(Properties, PartialEq, Clone)]
struct EmbedPanelProps {
    query: Query,
}

/// The "Embed" button: an iframe snippet for the current state, showing
/// the view the course author picks (the picture alone, the picture and the
/// evidence, or the whole lab).
#[component]
fn EmbedPanel(p: &EmbedPanelProps) -> Html {
    let open = use_state(|| false);
    let view = use_state(|| View::Full);
    let toggle = {
        let open = open.clone();
        Callback::from(move |_| open.set(!*open))
    };
    let mut q = p.query.clone();
    q.warnings.clear();
    q.set("embed", 1);
    q.remove("view");
    if *view != View::Full {
        q.set("view", view.slug());
    }
    let src = web::permalink(&q);
    let height = match *view {
        View::Picture => 560,
        View::PictureEvidence => 640,
        View::Full => 720,
    };
    let snippet = format!(
        "<iframe src=\"{}\" title=\"Idempotency Lab\" width=\"100%\" height=\"{height}\" loading=\"lazy\" style=\"border:0\"></iframe>",
        src.replace('&', "&amp;").replace('"', "&quot;")
    );
    let copy = {
        let snippet = snippet.clone();
        Callback::from(move |_| web::copy_text(&snippet))
    };
    let pick = {
        let view = view.clone();
        Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Some(v) = View::ALL.into_iter().find(|v| v.slug() == sel.value()) {
                view.set(v);
            }
        })
    };
    html! {
        <section class="embed-panel">
            <button type="button" class="embed-button" aria-expanded={open.to_string()} onclick={toggle}>{ "Embed this screen" }</button>
            if *open {
                <div class="embed-snippet">
                    <label for="embed-view">{ "What the frame shows" }</label>
                    <select id="embed-view" onchange={pick}>
                        { for View::ALL.iter().map(|v| html! {
                            <option value={v.slug()} selected={*v == *view}>{ v.title() }</option>
                        }) }
                    </select>
                    <label for="embed-code">{ "Paste this into a course page. Add " }<code>{ "&lock=seed,step" }</code>{ " to freeze controls, and " }<code>{ "&origins=https://your.site" }</code>{ " to let that page drive the lab by postMessage. The frame posts its height, so the page can size it." }</label>
                    <textarea id="embed-code" readonly=true rows="3" value={snippet} />
                    <button type="button" onclick={copy}>{ "Copy snippet" }</button>
                </div>
            }
        </section>
    }
}
