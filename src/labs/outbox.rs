//! The Outbox lab: a service, its database, a relay, a broker and a consumer
//! drawn as a pipeline whose tables fill row by row as the learner steps
//! through the trace. Five designs, one preset each, every one a permalink.

use crate::components::{Counter, EventLog, Evidence, ExportBar, LinkWarnings, Select, Slider, StepControls};
use crate::host::EMBED_KEYS;
use crate::query::Query;
use crate::shell::LabProps;
use crate::web;
use idemlab_sim::outbox::{self, Actor, Mode, OutboxParams, OutboxRun, PipelineView};
use yew::prelude::*;

/// A teaching point: its slug, button text, mode, and what it shows.
pub struct Preset {
    /// The `preset=` value.
    pub slug: &'static str,
    /// The button text.
    pub label: &'static str,
    /// The mode it runs.
    pub mode: Mode,
    /// The lesson, in one sentence.
    pub lesson: &'static str,
}

/// One preset per mode, in the order of the lesson.
pub const PRESETS: [Preset; 5] = [
    Preset {
        slug: "lost",
        label: "1 · Commit, then publish",
        mode: Mode::WriteThenPublish,
        lesson: "The order commits, the service dies before publishing, and nobody ever sends the event: it is lost, and no retry can find it.",
    },
    Preset {
        slug: "ghost",
        label: "2 · Publish, then commit",
        mode: Mode::PublishThenWrite,
        lesson: "The event goes out first; when the commit then fails or the service dies, the consumer ships an order that does not exist: a ghost.",
    },
    Preset {
        slug: "duplicates",
        label: "3 · Outbox, no dedup",
        mode: Mode::OutboxPolling,
        lesson: "Order and outbox row commit together, so nothing is lost or invented; but the relay publishes before it marks, and the consumer acks after its effect, so events arrive twice and are applied twice.",
    },
    Preset {
        slug: "inbox",
        label: "4 · Outbox + inbox",
        mode: Mode::OutboxInbox,
        lesson: "Same faults, same duplicate deliveries: the inbox row (consumer, message id) is inserted in the effect's transaction, so every duplicate hits the primary key and is skipped. At-least-once plus dedup is effectively once.",
    },
    Preset {
        slug: "tailing",
        label: "5 · Log tailing + inbox",
        mode: Mode::LogTailing,
        lesson: "A relay that tails the database log (as Debezium does) picks a commit up within milliseconds instead of waiting for the next poll: the outbox lag drops, the guarantees stay the same.",
    },
];

const PRESET_SLUGS: [&str; 6] = ["inbox", "lost", "ghost", "duplicates", "tailing", "custom"];

/// Reads the lab's knobs from the permalink: the preset gives the defaults,
/// and any knob written in the link overrides it.
pub fn params_from(q: &mut Query) -> (OutboxParams, &'static str) {
    let slug = q.choice("preset", &PRESET_SLUGS);
    let preset_mode = PRESETS.iter().find(|p| p.slug == slug).map(|p| p.mode);
    let dual = matches!(preset_mode, Some(Mode::WriteThenPublish | Mode::PublishThenWrite));
    let mode_n = q.int("mode", i64::from(preset_mode.unwrap_or(Mode::OutboxInbox).number()), 1, 5);
    let mode = Mode::from_number(mode_n as u8).unwrap_or(Mode::OutboxInbox);
    let p = OutboxParams {
        mode,
        commands: q.int("cmds", 12, 1, 200) as u32,
        aggregates: q.int("aggs", 3, 1, 8) as u32,
        crash: q.pct("crash", if dual { 15 } else { 0 }),
        commit_fail: q.pct("cfail", if slug == "ghost" { 5 } else { 0 }),
        broker_unavailable: q.pct("unavail", 0),
        ack_lost: q.pct("acklost", if dual { 0 } else { 5 }),
        relay_crash: q.pct("rcrash", if dual { 0 } else { 15 }),
        consumer_crash: q.pct("ccrash", if dual { 0 } else { 10 }),
        broker_duplicate: q.pct("dup", 0),
        delay_ms_max: q.int("delay", 30, 1, 500) as u64,
        seed: q.seed("seed", 3),
        ..OutboxParams::default()
    };
    (p, slug)
}

/// The Outbox lab page.
#[component]
pub fn OutboxLab(p: &LabProps) -> Html {
    let mut q = p.query.clone();
    let (params, slug) = params_from(&mut q);
    let run = use_memo(params.clone(), outbox::run);
    let steps = match &*run {
        Ok(r) => r.trace.len(),
        Err(_) => 0,
    };
    let step = q.int("step", steps as i64, 0, steps as i64) as usize;

    // Tell an embedding page the outcome once per change of parameters.
    {
        let run = run.clone();
        use_effect_with(params.clone(), move |params| {
            if let Ok(r) = &*run {
                let c = &r.counters;
                web::post_event(
                    "outcome",
                    "outbox",
                    serde_json::json!({
                        "mode": params.mode.number(),
                        "seed": params.seed,
                        "events_lost": c.events_lost,
                        "ghost_events": c.ghost_events,
                        "duplicate_effects": c.duplicate_effects,
                        "inbox_dedup_hits": c.inbox_dedup_hits,
                    }),
                );
            }
        });
    }

    // Keep the event log's current line in view inside its own scroll box,
    // without scrolling the page.
    use_effect_with(step, |_| scroll_log_to_current());

    let set_int = |key: &'static str| {
        let (q, on_query) = (p.query.clone(), p.on_query.clone());
        Callback::from(move |v: i64| {
            let mut next = q.with(key, v);
            next.remove("step");
            on_query.emit(next)
        })
    };
    let on_mode = {
        let (q, on_query) = (p.query.clone(), p.on_query.clone());
        Callback::from(move |v: String| {
            let mut next = q.with("mode", v);
            next.remove("step");
            on_query.emit(next)
        })
    };
    let on_step = {
        let (q, on_query) = (p.query.clone(), p.on_query.clone());
        Callback::from(move |s: usize| on_query.emit(q.with("step", s)))
    };
    let new_seed = {
        let (q, on_query) = (p.query.clone(), p.on_query.clone());
        Callback::from(move |_| {
            let mut next = q.with("seed", web::fresh_seed());
            next.remove("step");
            on_query.emit(next)
        })
    };
    let pick_preset = |slug: &'static str| {
        let on_query = p.on_query.clone();
        let embed_keys: Vec<(String, String)> =
            EMBED_KEYS.iter().filter_map(|k| p.query.get(k).map(|v| (k.to_string(), v.to_string()))).collect();
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            on_query.emit(preset_query(slug, &embed_keys));
        })
    };
    let pct = |f: f64| (f * 100.0).round() as i64;
    let lesson = PRESETS.iter().find(|pr| pr.slug == slug && pr.mode == params.mode).map(|pr| pr.lesson);

    let body = match &*run {
        Err(e) => html! { <p class="error" role="alert">{ format!("This run could not start: {e}") }</p> },
        Ok(r) => {
            let counters = counters_of(r);
            let view = outbox::view_at(r, step);
            let lines: Vec<AttrValue> = r
                .trace
                .records()
                .iter()
                .map(|s| {
                    let mark = if s.record.is_bad() && !s.record.is_crash() { "⚠ " } else { "" };
                    AttrValue::from(format!("{:>7.1} ms  {mark}{}", s.at.as_ms_f64(), s.record.describe()))
                })
                .collect();
            let trace_json = {
                let r = r.clone();
                Callback::from(move |_: ()| serde_json::to_string_pretty(&r.trace).unwrap_or_default())
            };
            let crashes = crash_tally(r, step);
            html! {
                <>
                    <Evidence title="Belief versus evidence" belief={Some(AttrValue::from(belief_of(r)))} counters={counters.clone()} />
                    <StepControls step={step} steps={steps} on_step={on_step} label="Record" />
                    <div class="outbox-stage">
                        <Pipeline view={view} mode={r.params.mode} crashes={crashes} />
                        // The scroll box is ours and focusable, so keyboard users can scroll it too.
                        <div class="outbox-log" tabindex="0" role="region" aria-label="Event log, scrollable">
                            <EventLog lines={lines} current={step} />
                        </div>
                    </div>
                    <ExportBar name={format!("outbox-mode{}-seed{}", r.params.mode.number(), r.params.seed)}
                        trace_json={trace_json} counters={counters} query={p.query.clone()} />
                </>
            }
        }
    };

    let mode_options: Vec<(AttrValue, AttrValue)> = Mode::ALL
        .iter()
        .map(|m| {
            (AttrValue::from(m.number().to_string()), AttrValue::from(format!("{} · {}", m.number(), short_title(*m))))
        })
        .collect();

    html! {
        <section class="lab outbox" data-lab="outbox">
            <LinkWarnings warnings={q.warnings.clone()} />
            <h2>{ "Outbox: a database write and a publish, made to agree" }</h2>
            <div class="prose">
                <p>{ "A service that places an order must do two things: commit the order in its database and tell the rest of the system with an event. Two independent writes cannot be made atomic by ordering them: if the process dies in between, committing first loses the event and publishing first invents one. The transactional outbox writes the event into the same database transaction; a relay publishes it afterwards, at least once; and an inbox at the consumer turns those duplicates into one effect." }</p>
            </div>
            <nav class="outbox-presets" aria-label="Teaching points">
                { for PRESETS.iter().map(|pr| {
                    let current = pr.slug == slug;
                    html! {
                        <a href={preset_query(pr.slug, &[]).to_search()} class={classes!("outbox-preset", current.then_some("current"))}
                           aria-current={current.then_some("true")} data-preset={pr.slug} onclick={pick_preset(pr.slug)}>{ pr.label }</a>
                    }
                }) }
            </nav>
            if let Some(l) = lesson { <p class="outbox-lesson" data-lesson={slug}><strong>{ "What to look for: " }</strong>{ l }</p> }
            <div class="controls">
                <Select id="outbox-mode" label="Design" options={mode_options} value={AttrValue::from(params.mode.number().to_string())}
                    disabled={q.locked("mode")} on_change={on_mode} />
                <Slider id="outbox-cmds" label="Commands (place order)" value={i64::from(params.commands)} min={1} max={200} disabled={q.locked("cmds")} on_change={set_int("cmds")} />
                <Slider id="outbox-aggs" label="Customers (partitions)" value={i64::from(params.aggregates)} min={1} max={8} disabled={q.locked("aggs")} on_change={set_int("aggs")} />
                <Slider id="outbox-crash" label="Service crash between writes" unit="%" value={pct(params.crash)} min={0} max={100} disabled={q.locked("crash")} on_change={set_int("crash")}
                    help={Some(AttrValue::from("In the outbox designs there is one transaction: a crash rolls both rows back."))} />
                <Slider id="outbox-cfail" label="DB commit fails" unit="%" value={pct(params.commit_fail)} min={0} max={100} disabled={q.locked("cfail")} on_change={set_int("cfail")} />
                <Slider id="outbox-unavail" label="Broker unavailable" unit="%" value={pct(params.broker_unavailable)} min={0} max={100} disabled={q.locked("unavail")} on_change={set_int("unavail")} />
                <Slider id="outbox-acklost" label="Publish stored, ack lost" unit="%" value={pct(params.ack_lost)} min={0} max={100} disabled={q.locked("acklost")} on_change={set_int("acklost")} />
                <Slider id="outbox-rcrash" label="Relay crash after publish, before mark" unit="%" value={pct(params.relay_crash)} min={0} max={100} disabled={q.locked("rcrash")} on_change={set_int("rcrash")} />
                <Slider id="outbox-ccrash" label="Consumer crash after effect, before ack" unit="%" value={pct(params.consumer_crash)} min={0} max={100} disabled={q.locked("ccrash")} on_change={set_int("ccrash")} />
                <Slider id="outbox-dup" label="Broker delivers twice" unit="%" value={pct(params.broker_duplicate)} min={0} max={100} disabled={q.locked("dup")} on_change={set_int("dup")} />
                <Slider id="outbox-delay" label="Delivery delay, max" unit=" ms" value={params.delay_ms_max as i64} min={1} max={500} disabled={q.locked("delay")} on_change={set_int("delay")}
                    help={Some(AttrValue::from("Partitions drift apart: global order breaks, per-customer order holds."))} />
                <div class="control seed">
                    <span>{ format!("Seed {}", params.seed) }</span>
                    <button type="button" onclick={new_seed} disabled={q.locked("seed")}>{ "New seed" }</button>
                </div>
            </div>
            { body }
            <details class="outbox-choices">
                <summary>{ "Choices this model makes, and why" }</summary>
                <ul>
                    <li>{ "The outbox table has Debezium's outbox-router columns: id (the dedup id), aggregatetype (the topic), aggregateid (the message key), type and payload." }</li>
                    <li>{ "The broker keeps one partition per customer (the aggregateid key) and delivers a partition's next message only after the previous one is acked: order holds per customer, not globally." }</li>
                    <li>{ "The relay publishes a row and then marks it (or commits its log offset); a crash in between, or a publish whose ack was lost, sends the row again. That is why delivery is at least once." }</li>
                    <li>{ "In the dual-write designs the service retries a failed publish up to 3 times; a timeout and a refusal look the same to it, so a lost ack becomes a duplicate (design 1) or a ghost (design 2)." }</li>
                    <li>{ "A row still in the outbox at the end is counted as pending, not lost: the relay would still send it. The broker dead-letters a message after 10 deliveries, and nothing happens after 120 simulated seconds, so every run ends." }</li>
                </ul>
            </details>
        </section>
    }
}

fn scroll_log_to_current() {
    use wasm_bindgen::JsCast;
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(Some(list)) = doc.query_selector(".outbox-log") else { return };
    let Ok(Some(line)) = list.query_selector("li.current") else {
        list.set_scroll_top(0);
        return;
    };
    let (Ok(list_el), Ok(line_el)) = (list.dyn_into::<web_sys::HtmlElement>(), line.dyn_into::<web_sys::HtmlElement>())
    else {
        return;
    };
    // The scroll box is positioned, so the line's offset is measured from it.
    let target = line_el.offset_top() - list_el.client_height() / 2;
    list_el.set_scroll_top(target.max(0));
}

/// The permalink of a preset, keeping an embedder's `embed`, `origins` and `lock` keys.
fn preset_query(slug: &str, keep: &[(String, String)]) -> Query {
    let mut q = Query::default();
    q.set("area", "outbox");
    q.set("preset", slug);
    for (k, v) in keep {
        q.set(k, v);
    }
    q
}

/// The counters, with the one that proves the mode's lesson marked.
pub fn counters_of(r: &OutboxRun) -> Vec<Counter> {
    let c = &r.counters;
    let mode = r.params.mode;
    let key_lost = mode == Mode::WriteThenPublish;
    let key_ghost = mode == Mode::PublishThenWrite;
    let key_dup = mode.uses_outbox();
    let mark = |counter: Counter, key: bool| if key { counter.key() } else { counter };
    vec![
        Counter::new("commands", "Commands sent", c.commands),
        Counter::new("accepted", "Orders committed (evidence)", c.commands_accepted),
        Counter::new("believed", "Service believes published", c.service_believes_published),
        mark(
            Counter::new("events_lost", "Events lost: committed, never published", c.events_lost)
                .bad_if(c.events_lost > 0),
            key_lost,
        ),
        mark(
            Counter::new("ghost_events", "Ghost events: published, order never committed", c.ghost_events)
                .bad_if(c.ghost_events > 0),
            key_ghost,
        ),
        Counter::new("duplicate_deliveries", "Duplicate deliveries", c.duplicate_deliveries),
        mark(
            Counter::new("duplicate_effects", "Duplicate effects applied", c.duplicate_effects)
                .bad_if(c.duplicate_effects > 0),
            key_dup,
        ),
        Counter::new("dedup_hits", "Inbox dedup hits", c.inbox_dedup_hits),
        Counter::new(
            "outbox_lag",
            "Outbox lag, mean / max (ms)",
            format!("{} / {}", c.relay_lag_ms_mean, c.relay_lag_ms_max),
        ),
        Counter::new("outbox_pending", "Outbox rows still unsent", c.outbox_pending).bad_if(c.outbox_pending > 0),
        Counter::new("reordered", "Deliveries out of global order", c.reordered_deliveries),
        Counter::new("order_violations", "Per-customer order violations", c.aggregate_order_violations)
            .bad_if(c.aggregate_order_violations > 0),
    ]
}

/// The service's belief, in one sentence, beside the evidence.
pub fn belief_of(r: &OutboxRun) -> String {
    let c = &r.counters;
    if r.params.mode.uses_outbox() {
        format!(
            "the service believes {} orders were placed and their events will be published; the shipping service applied {} effects for {} distinct orders.",
            c.service_believes_published,
            c.effects_applied,
            c.effects_applied - c.duplicate_effects
        )
    } else {
        format!(
            "the service believes {} orders were published ({} committed in its database); the shipping service applied {} effects.",
            c.service_believes_published, c.commands_accepted, c.effects_applied
        )
    }
}

/// Crashes so far at the service, the relay and the consumer.
fn crash_tally(r: &OutboxRun, step: usize) -> [u32; 3] {
    let mut t = [0u32; 3];
    for s in r.trace.records().iter().take(step).filter(|s| s.record.is_crash()) {
        match s.record.actor() {
            Actor::Service => t[0] += 1,
            Actor::Relay => t[1] += 1,
            Actor::Consumer => t[2] += 1,
            // Crashes happen only at the three processes; databases and the
            // broker are modelled as durable.
            Actor::ServiceDb | Actor::Broker | Actor::ConsumerDb => {}
        }
    }
    t
}

/// Props of [`Pipeline`].
#[derive(Properties, PartialEq, Clone)]
struct PipelineProps {
    view: PipelineView,
    mode: Mode,
    /// Crashes so far at the service, the relay and the consumer.
    crashes: [u32; 3],
}

/// Rows shown per table; older rows are summarised.
const ROWS_SHOWN: usize = 6;

/// The animated pipeline: one box per actor, its tables filling as rows are
/// written, the current actor highlighted, crash markers where they struck.
#[component]
fn Pipeline(p: &PipelineProps) -> Html {
    let v = &p.view;
    let cur = v.current;
    let stage = |actor: Actor, title: &'static str, crashes: Option<u32>, body: Html| {
        let active = cur.map(|(a, _)| a) == Some(actor);
        let crashed_now = cur == Some((actor, true));
        html! {
            <div class={classes!("outbox-actor", active.then_some("active"), crashed_now.then_some("crashed"))}
                 data-actor={actor_slug(actor)} aria-current={active.then_some("step")}>
                <h4>{ title }</h4>
                if crashed_now { <p class="outbox-crash" role="status">{ "⚡ CRASH here" }</p> }
                if let Some(n) = crashes.filter(|n| *n > 0) { <p class="outbox-crash-count">{ format!("⚡ × {n} so far") }</p> }
                { body }
            </div>
        }
    };
    let arrow = |label: &'static str, glyph: &'static str| {
        html! { <div class="outbox-arrow" aria-hidden="true"><span>{ label }</span>{ glyph }</div> }
    };
    let dual = !p.mode.uses_outbox();

    // The orders table says whether each order's event has reached the
    // broker yet, so a lost event shows as a row that never gets its ✓.
    let orders = table(
        "orders",
        &["id", "customer", "event in broker"],
        v.orders
            .iter()
            .map(|(id, c)| {
                let sent = v.published.contains(id);
                (vec![id.to_string(), c.to_string(), if sent { "✓ yes".into() } else { "✗ none".into() }], "")
            })
            .collect(),
    );
    let outbox_table = if dual {
        html! { <p class="outbox-none">{ "No outbox table: the service publishes itself." }</p> }
    } else {
        table(
            "outbox",
            &["id", "aggregatetype", "aggregateid", "type", "payload", "sent"],
            v.outbox
                .iter()
                .map(|(r, sent)| {
                    (
                        vec![
                            r.id.to_string(),
                            r.aggregatetype.to_string(),
                            r.aggregateid.to_string(),
                            r.event_type.to_string(),
                            r.payload.clone(),
                            if *sent { "✓".into() } else { "·".into() },
                        ],
                        if *sent { "" } else { "unsent" },
                    )
                })
                .collect(),
        )
    };
    let relay_body = if dual {
        html! { <p class="outbox-none">{ "No relay in this design." }</p> }
    } else if p.mode == Mode::LogTailing {
        html! { <p>{ "Tails the DB log; commits its offset after each publish." }</p> }
    } else {
        html! { <p>{ "Polls unsent rows every 100 ms; marks each after publishing." }</p> }
    };
    let partitions = html! {
        <ul class="outbox-partitions">
            { for v.partitions.iter().map(|(k, msgs)| html! {
                <li><span class="outbox-key">{ format!("key {k}") }</span>
                    { for msgs.iter().map(|m| html! { <span class="outbox-msg">{ format!("#{m}") }</span> }) }
                    if msgs.is_empty() { <span class="outbox-empty">{ "empty" }</span> }
                </li>
            }) }
            if v.partitions.is_empty() { <li class="outbox-empty">{ "no messages yet" }</li> }
        </ul>
    };
    let inbox = if p.mode.uses_inbox() {
        table(
            "inbox",
            &["consumer", "message_id"],
            v.inbox.iter().map(|m| (vec!["shipping".into(), m.to_string()], "")).collect(),
        )
    } else {
        html! { <p class="outbox-none">{ "No inbox: every delivery applies its effect." }</p> }
    };
    let effects = table(
        "effects",
        &["message", "note"],
        v.effects
            .iter()
            .map(|(m, dup, ghost)| {
                let note = match (dup, ghost) {
                    (true, true) => "⚠ duplicate, ghost",
                    (true, false) => "⚠ duplicate",
                    (false, true) => "⚠ order not committed",
                    (false, false) => "shipped",
                };
                (vec![format!("#{m}"), note.to_string()], if *dup || *ghost { "bad" } else { "" })
            })
            .collect(),
    );
    html! {
        <figure class="outbox-pipeline" aria-label="The pipeline at the current record">
            <div class="outbox-row">
                { stage(Actor::Service, "Order service", Some(p.crashes[0]), html! { <p>{ service_text(p.mode) }</p> }) }
                { arrow("write", "→") }
                { stage(Actor::ServiceDb, "Service DB", None, html! { <>{ orders }{ outbox_table }</> }) }
                { arrow("read", "→") }
                { stage(Actor::Relay, "Relay", Some(p.crashes[1]), relay_body) }
            </div>
            <div class="outbox-turn" aria-hidden="true"><span>{ "publish ↓" }</span></div>
            // The second row runs right to left, so the broker sits under the
            // relay; the DOM keeps the pipeline's order for screen readers.
            <div class="outbox-row outbox-row-back">
                { stage(Actor::Broker, "Broker (partition per customer)", None, partitions) }
                { arrow("deliver", "←") }
                { stage(Actor::Consumer, "Shipping consumer", Some(p.crashes[2]), html! { <p>{ "Applies the effect, then acks." }</p> }) }
                { arrow("commit", "←") }
                { stage(Actor::ConsumerDb, "Consumer DB", None, html! { <>{ inbox }{ effects }</> }) }
            </div>
        </figure>
    }
}

/// What the service does in each design, in the service's box.
fn service_text(m: Mode) -> &'static str {
    match m {
        Mode::WriteThenPublish => "Commits the order, then publishes the event.",
        Mode::PublishThenWrite => "Publishes the event, then commits the order.",
        Mode::OutboxPolling | Mode::OutboxInbox | Mode::LogTailing => "Writes order + outbox row in one transaction.",
    }
}

/// A title short enough for the drop-down.
fn short_title(m: Mode) -> &'static str {
    match m {
        Mode::WriteThenPublish => "Commit, then publish",
        Mode::PublishThenWrite => "Publish, then commit",
        Mode::OutboxPolling => "Outbox, polling, no dedup",
        Mode::OutboxInbox => "Outbox, polling, inbox",
        Mode::LogTailing => "Outbox, log tailing, inbox",
    }
}

fn actor_slug(a: Actor) -> &'static str {
    match a {
        Actor::Service => "service",
        Actor::ServiceDb => "service-db",
        Actor::Relay => "relay",
        Actor::Broker => "broker",
        Actor::Consumer => "consumer",
        Actor::ConsumerDb => "consumer-db",
    }
}

/// A small table showing its last rows; the newest row is marked so CSS can
/// fade it in, and older rows are counted rather than drawn.
fn table(name: &'static str, cols: &[&'static str], rows: Vec<(Vec<String>, &'static str)>) -> Html {
    let hidden = rows.len().saturating_sub(ROWS_SHOWN);
    let last = rows.len();
    html! {
        <table class={classes!("outbox-table", format!("outbox-t-{name}"))} data-table={name} data-rows={rows.len().to_string()}>
            <caption>{ format!("{name} ({} rows)", rows.len()) }</caption>
            <thead><tr>{ for cols.iter().map(|c| html! { <th scope="col">{ *c }</th> }) }</tr></thead>
            <tbody>
                if hidden > 0 { <tr class="outbox-more"><td colspan={cols.len().to_string()}>{ format!("… {hidden} earlier") }</td></tr> }
                { for rows.into_iter().enumerate().skip(hidden).map(|(i, (cells, cls))| html! {
                    <tr class={classes!((!cls.is_empty()).then_some(cls), (i + 1 == last).then_some("newest"))}>
                        { for cells.into_iter().map(|c| html! { <td>{ c }</td> }) }
                    </tr>
                }) }
            </tbody>
        </table>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_preset_link_selects_its_mode() {
        for pr in &PRESETS {
            let mut q = Query::parse(&format!("?area=outbox&preset={}", pr.slug));
            let (p, slug) = params_from(&mut q);
            assert_eq!(slug, pr.slug);
            assert_eq!(p.mode, pr.mode);
            assert!(q.warnings.is_empty(), "{:?}", q.warnings);
        }
    }

    #[test]
    fn each_preset_shows_its_lesson_in_the_key_counter() {
        for pr in &PRESETS {
            let mut q = Query::parse(&format!("?area=outbox&preset={}", pr.slug));
            let (p, _) = params_from(&mut q);
            let r = outbox::run(&p).unwrap();
            let c = &r.counters;
            match pr.mode {
                Mode::WriteThenPublish => assert!(c.events_lost > 0, "{c:?}"),
                Mode::PublishThenWrite => assert!(c.ghost_events > 0, "{c:?}"),
                Mode::OutboxPolling => assert!(c.duplicate_effects > 0, "{c:?}"),
                Mode::OutboxInbox | Mode::LogTailing => {
                    assert_eq!(c.duplicate_effects, 0);
                    assert!(c.inbox_dedup_hits > 0, "{c:?}");
                }
            }
            assert_eq!(counters_of(&r).iter().filter(|c| c.key).count(), 1);
        }
    }

    #[test]
    fn a_knob_in_the_link_overrides_the_preset() {
        let mut q = Query::parse("?area=outbox&preset=lost&crash=0&mode=4");
        let (p, _) = params_from(&mut q);
        assert_eq!(p.crash, 0.0);
        assert_eq!(p.mode, Mode::OutboxInbox);
    }

    #[test]
    fn hostile_values_fall_back_with_warnings() {
        let mut q = Query::parse("?area=outbox&preset=nope&mode=9&cmds=99999&seed=x");
        let (p, slug) = params_from(&mut q);
        assert_eq!(slug, "inbox");
        assert_eq!(p.mode, Mode::LogTailing);
        assert_eq!(p.commands, 200);
        assert_eq!(p.seed, 3);
        assert_eq!(q.warnings.len(), 4);
    }
}
