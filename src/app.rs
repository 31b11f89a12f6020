//! The app shell: header, navigation, the link-problem banner and the area.
//!
//! The URL is the source of truth for everything that matters: the shell
//! parses it once per change and hands each lab its `Query` plus a callback
//! that writes a new one back.

use crate::host::{self, EmbedChoice};
use crate::labs;
use crate::query::{Area, Query};
use crate::shell::{self, Frame, PageMode, PresentSwitch, View};
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
    let frame = Frame { embed, reveal: query.clone().flag("reveal", false) };
    let present = query.flag("present", false);
    let mode = PageMode { embed, view: View::read(&mut query), present };
    // The stage's type scales with the viewport from the root element.
    use_effect_with(present, |present| web::set_root_flag("present", *present));
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
                let pop = web::listen(&w, "popstate", move |_| {
                    web::cancel_pending_url();
                    s1.set(web::current_search());
                });
                // A change still waiting for the address bar is written before the page goes.
                let hide = web::listen(&w, "pagehide", |_| web::flush_pending_url());
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
                (pop, hide, msg)
            });
            move || drop(guards)
        });
    }

    // The page has drawn and every component's first effects (its keyboard
    // and message listeners) have run: a parent's effects run after its
    // children's, and this is the root. `<html data-app-ready>` says so, for
    // scripts and tests that press keys as soon as the page is there (Yew may
    // give the browser a turn between a long first render and its effects).
    use_effect_with((), |_| web::mark_app_ready());

    // Tell an embedding page about step changes (a number, as the host
    // sends it) and our height.
    {
        let step = query.get("step").and_then(|s| s.trim().parse::<u64>().ok());
        use_effect_with((area, step), move |(area, step)| {
            if let Some(step) = step {
                web::post_event("step", area.slug(), serde_json::json!({ "step": step }));
            }
        });
    }
    // A lab names its area and preset in the title (`shell::page_title`);
    // the one page without an engine names itself here.
    use_effect_with(area, |area| {
        if labs::visit_page(*area, NoPage).is_none() {
            if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
                doc.set_title(&format!("{} · Idempotency Lab", area.title()));
            }
        }
    });
    use_effect(move || {
        if embed {
            web::post_height(area.slug());
        }
    });

    // A lab's action sets the new link; the page renders it at once and the
    // address bar follows once the changes pause (`web::URL_DELAY_MS`), so a
    // history write never sits in the frame of an input and a drag cannot
    // reach the browsers' limit on history changes. The address bar lags
    // behind the page, never ahead: nothing that reads it sees a step the
    // page has not drawn yet.
    let on_query = {
        let search = search.clone();
        Callback::from(move |q: Query| search.set(q.to_search()))
    };
    use_effect_with((*search).clone(), |s| web::replace_search_soon(s));
    // A symptom's link or "Next stop" asked for an element to be brought into
    // view once the new page has drawn (this root's effects run last).
    // A page build that loaded this one to draw its area carries the request
    // in the address's fragment (`web::reload_at`).
    use_memo((), |_| web::scroll_from_fragment());
    use_effect(web::scroll_to_asked);
    // Moving to another area keeps the frame (embed, lock, origins, reveal).
    let go = {
        let (search, current) = (search.clone(), query.clone());
        move |a: Area| {
            let (search, q) = (search.clone(), host::area_link(&current, a.slug()));
            nav_to(search, q)
        }
    };
    // Learn is a view of Recall (`?area=recall&learn=1`): the guided lessons
    // as a path; a lesson's stops belong to it too.
    let learning = area == Area::Recall && (query.get("learn").is_some() || query.get("lesson").is_some());
    let learn_link = labs::learn::learn_link(&query);
    let learn_item = html! {
        <li>
            <a href={learn_link.to_search()} class={classes!(learning.then_some("current"))}
               aria-current={learning.then_some("page")} data-area="learn" onclick={nav_to(search.clone(), learn_link.clone())}>{ "Learn" }</a>
        </li>
    };

    // The presenter view is a view of the same link: the switch writes `present=1`.
    let present_switch = {
        let mut next = query.clone();
        next.warnings.clear();
        if present {
            next.remove("present");
        } else {
            next.set("present", 1);
        }
        let (search, href) = (search.clone(), next.to_search());
        let onclick = Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            web::write_url(&next, true);
            search.set(next.to_search());
        });
        html! {
            <a class="present-switch" role="switch" aria-checked={present.to_string()} href={href} {onclick}
               title="A stage for a projector: the picture, its caption and its step controls, large">
                // In a lab's head the switch is a compact icon, so the head stays one row at 1280 px.
                if present { { "Leave presenter view" } } else {
                    <span aria-hidden="true">{ "⛶" }</span><span class="visually-hidden">{ "Presenter view" }</span>
                }
            </a>
        }
    };
    // A page built for one area (`labs::built`) reaches another by loading
    // the page again, which then fetches that area's build. Only a move
    // does: should the first link name a page this build lacks (a boot
    // script out of step with the link's parser), the page says so rather
    // than reload in a loop.
    let here = labs::drawn_here(area, &query);
    let first_here = *use_memo((), move |_| here);
    {
        let search = (*search).clone();
        use_effect_with(here, move |&here| {
            if !here && first_here {
                web::reload_at(&search);
            }
        });
    }
    let body = if here {
        labs::render(area, query.clone(), on_query.clone())
    } else if first_here {
        html! { <p class="boot" role="status">{ format!("Loading the {} page…", area.title()) }</p> }
    } else {
        html! {
            <p class="error" role="alert">
                { format!("This copy of the lab was loaded without its {} page. ", area.title()) }
                <a href="./">{ "Open the lab's home page" }</a>
            </p>
        }
    };
    let body = html! {
        <ContextProvider<Frame> context={frame}>
            <ContextProvider<PageMode> context={mode}>
                <ContextProvider<PresentSwitch> context={PresentSwitch(present_switch.clone())}>{ body }</ContextProvider<PresentSwitch>>
            </ContextProvider<PageMode>>
        </ContextProvider<Frame>>
    };
    if embed {
        return html! { <main class="embed" id="main">{ body }</main> };
    }
    if present {
        return html! {
            <>
                <a class="skip" href="#main">{ "Skip to the lab" }</a>
                <header class="site present-bar">{ present_switch }</header>
                <main id="main" tabindex="-1">{ body }</main>
            </>
        };
    }
    html! {
        <>
            <a class="skip" href="#main">{ "Skip to the lab" }</a>
            <header class="site">
                <div class="brand">
                    <span class="logo" aria-hidden="true">{ "⟲¹" }</span>
                    <div>
                        <h1>{ "Idempotency Lab" }</h1>
                        <p class="tagline">{ crate::components::gloss_once(crate::components::TAGLINE) }</p>
                    </div>
                </div>
                <nav aria-label="Labs">
                    <ul>
                        { for Area::ALL.iter().map(|a| {
                            let current = *a == area && !learning;
                            let href = host::area_link(&query, a.slug()).to_search();
                            // Learn comes before Recall, its self-test.
                            html! {
                                <>
                                    if *a == Area::Recall { { learn_item.clone() } }
                                    <li>
                                        <a href={href} class={classes!(current.then_some("current"))}
                                           aria-current={current.then_some("page")}
                                           data-area={a.slug()} onclick={go(*a)}>{ a.title() }</a>
                                    </li>
                                </>
                            }
                        }) }
                    </ul>
                </nav>
            </header>
            <main id="main" tabindex="-1">{ body }<EmbedPanel query={query.clone()} area={area} /></main>
            <footer class="site">
                <p>{ "Everything runs in your browser: a deterministic simulation in WebAssembly, driven by one seed. Every screen is a permalink." }</p>
            </footer>
        </>
    }
}

/// A navigation link's click: the new link goes into history and the page
/// draws it, without a reload.
fn nav_to(search: UseStateHandle<String>, q: Query) -> Callback<MouseEvent> {
    Callback::from(move |e: MouseEvent| {
        e.prevent_default();
        web::write_url(&q, true);
        search.set(q.to_search());
    })
}

/// Props of [`EmbedPanel`].
#[derive(Properties, PartialEq, Clone)]
struct EmbedPanelProps {
    query: Query,
    area: Area,
}

/// The "Embed this screen" panel: the locks this lab has, by name, the
/// course page's origins, `reveal=1`, predict-first locked on where the lab
/// asks for predictions, what the frame shows (`view=`), and an iframe
/// snippet with its height script.
#[component]
fn EmbedPanel(p: &EmbedPanelProps) -> Html {
    let open = use_state(|| false);
    let choice = {
        let present = p.query.get("present") == Some("1");
        use_state(move || EmbedChoice { present, ..EmbedChoice::default() })
    };
    let view = use_state(|| View::Full);
    let toggle = {
        let open = open.clone();
        Callback::from(move |_| open.set(!*open))
    };
    let button = html! {
        <button type="button" class="embed-button" aria-expanded={open.to_string()} onclick={toggle}>{ "Embed this screen" }</button>
    };
    // Closed, the panel is its button: the snippet (an absolute link read
    // from the browser) is built only while someone looks at it.
    if !*open {
        return html! { <section class="embed-panel">{ button }</section> };
    }
    let mut q = host::embed_query(&p.query, &choice);
    q.remove("view");
    if *view != View::Full {
        q.set("view", view.slug());
    }
    let src = web::permalink(&q);
    let lab_origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    let frame_id = format!("idemlab-{}", p.area.slug());
    let snippet = host::snippet(&src, &lab_origin, &frame_id, &format!("Idempotency Lab: {}", p.area.title()));
    let copy = {
        let snippet = snippet.clone();
        Callback::from(move |_| web::copy_text(&snippet))
    };
    let edit = |f: fn(&mut EmbedChoice, String)| {
        let choice = choice.clone();
        Callback::from(move |v: String| {
            let mut c = (*choice).clone();
            f(&mut c, v);
            choice.set(c);
        })
    };
    let toggle_lock = edit(|c, name| match c.locks.iter().position(|l| *l == name) {
        Some(i) => {
            c.locks.remove(i);
        }
        None => c.locks.push(name),
    });
    let checkbox = |id: String, name: String, label: Html, checked: bool, on: Callback<String>| {
        let onchange = Callback::from(move |_| on.emit(name.clone()));
        html! {
            <label class="embed-lock" for={id.clone()}>
                <input type="checkbox" id={id} checked={checked} {onchange} />{ label }
            </label>
        }
    };
    let locks = shell::area_locks(p.area);
    let (_, bad_origins) = host::read_origins(&choice.origins);
    let on_origins = {
        let set = edit(|c, v| c.origins = v);
        Callback::from(move |e: InputEvent| {
            let t: web_sys::HtmlInputElement = e.target_unchecked_into();
            set.emit(t.value());
        })
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
            { button }
            <div class="embed-snippet">
                    <label for="embed-view">{ "What the frame shows (view=)" }</label>
                    <select id="embed-view" onchange={pick}>
                        { for View::ALL.iter().map(|v| html! {
                            <option value={v.slug()} selected={*v == *view}>{ v.title() }</option>
                        }) }
                    </select>
                    <fieldset class="embed-locks">
                        <legend>{ "Freeze these controls in the frame (lock=)" }</legend>
                        { checkbox("embed-lock-all".into(), "all".into(), html! { <><code>{ "all" }</code>{ " every control" }</> }, choice.locks.iter().any(|l| l == "all"), toggle_lock.clone()) }
                        { for locks.iter().flatten().map(|(name, what)| checkbox(
                            format!("embed-lock-{name}"), name.to_string(),
                            html! { <><code>{ *name }</code>{ format!(" {what}") }</> },
                            choice.locks.iter().any(|l| l == name), toggle_lock.clone())) }
                        if locks.is_none() {
                            <p class="hint">{ "This page has no lab controls of its own: only lock=all applies." }</p>
                        }
                    </fieldset>
                    <label for="embed-origins">{ "Origins of your course page, allowed to drive the lab by postMessage (origins=)" }</label>
                    <input type="text" id="embed-origins" placeholder="https://course.example" value={choice.origins.clone()} oninput={on_origins} />
                    if !bad_origins.is_empty() {
                        <p class="link-warning" role="alert">{ format!("Not an origin (write https://host or https://host:port, no path), left out: {}", bad_origins.join(", ")) }</p>
                    }
                    { checkbox("embed-reveal".into(), String::new(), html! { <>{ "Show the outcome from the start " }<code>{ "reveal=1" }</code>{ " (otherwise it waits for the decisive step or the learner's click)" }</> }, choice.reveal, edit(|c, _| c.reveal = !c.reveal)) }
                    { checkbox("embed-present".into(), String::new(), html! { <>{ "Presenter view: the picture, its caption and its step controls fill the frame, the rest folds away " }<code>{ "present=1" }</code></> }, choice.present, edit(|c, _| c.present = !c.present)) }
                    if labs::predicts_first(p.area) {
                        { checkbox("embed-predict".into(), String::new(), html! { <>{ "Ask for a prediction before each decisive step, locked on " }<code>{ "predict=1&lock=predict" }</code></> }, choice.predict_locked, edit(|c, _| c.predict_locked = !c.predict_locked)) }
                    }
                    <label for="embed-code">{ "Paste this into your course page: the frame, and a script that sizes it from the lab's height messages." }</label>
                    <textarea id="embed-code" readonly=true rows="12" value={snippet} />
                    <button type="button" onclick={copy}>{ "Copy snippet" }</button>
            </div>
        </section>
    }
}

/// A visit that does nothing: asks the router only whether an area has a lab page.
struct NoPage;

impl labs::PageVisitor for NoPage {
    type Out = ();
    fn page<P: labs::LabPage>(self) {}
}
