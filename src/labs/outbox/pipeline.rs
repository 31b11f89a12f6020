//! The Outbox lab's own views: the pipeline of actors and tables at one
//! step, the event log's window, and a term with its explanation on hover
//! or focus.

use crate::components::{use_keep_in_view, Term};
use idemlab_sim::outbox::{Actor, Inbox, Mode, PipelineView};
use yew::prelude::*;

/// Props of [`Pipeline`].
#[derive(Properties, PartialEq, Clone)]
pub struct PipelineProps {
    /// The tables and queues at the current step.
    pub view: PipelineView,
    /// The design.
    pub mode: Mode,
    /// The polling relay's period, for its box.
    pub poll_ms: u64,
    /// The log-tailing relay's offset flush interval, for its box.
    pub flush_ms: u64,
    /// Where the consumer's inbox row goes.
    pub inbox: Inbox,
    /// The record shown, so the acting actor is scrolled into view after each step.
    #[prop_or_default]
    pub step: usize,
}

/// The pipeline: one box per actor, its tables filling as rows are written,
/// the current actor highlighted, crash markers where they struck.
#[component]
pub fn Pipeline(p: &PipelineProps) -> Html {
    let v = &p.view;
    let cur = v.current;
    let root = use_node_ref();
    use_keep_in_view(&root, ".outbox-actor[aria-current]", p.step);
    let stage = |actor: Actor, title: Html, crashes: Option<usize>, body: Html| {
        let active = cur.map(|(a, _)| a) == Some(actor);
        let crashed_now = cur == Some((actor, true));
        html! {
            <div class={classes!("outbox-actor", active.then_some("active"), crashed_now.then_some("crashed"))}
                 data-actor={actor_slug(actor)} aria-current={active.then_some("step")}>
                <h3>{ title }</h3>
                // Not live: the step caption says the crash, once.
                if crashed_now { <p class="outbox-crash">{ "⚡ CRASH here" }</p> }
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
        v.orders_total,
        v.orders
            .iter()
            .map(|(id, c, sent)| {
                (vec![id.to_string(), c.to_string(), if *sent { "✓ yes".into() } else { "✗ none".into() }], "")
            })
            .collect(),
    );
    // The polling relay marks a row sent; the log-tailing relay never
    // writes to the table, so its rows only show whether the broker has them.
    let tailing = p.mode == Mode::LogTailing;
    let last_col = if tailing { "in broker" } else { "sent" };
    let outbox_table = if dual {
        html! { <p class="outbox-none">{ "No outbox table: the service publishes itself." }</p> }
    } else {
        table(
            "outbox",
            &["id", "aggregatetype", "aggregateid", "type", "payload", last_col],
            v.outbox_total,
            v.outbox
                .iter()
                .map(|(r, marked, in_broker)| {
                    let done = if tailing { *in_broker } else { *marked };
                    (
                        vec![
                            r.id.to_string(),
                            r.aggregatetype.to_string(),
                            r.aggregateid.to_string(),
                            r.event_type.to_string(),
                            r.payload.clone(),
                            if done { "✓".into() } else { "·".into() },
                        ],
                        if done { "" } else { "unsent" },
                    )
                })
                .collect(),
        )
    };
    let relay_body = match p.mode {
        Mode::WriteThenPublish | Mode::PublishThenWrite => {
            html! { <p class="outbox-none">{ "No relay in this design." }</p> }
        }
        Mode::LogTailing => html! {
            <>
                <p>{ format!("Tails the DB log and never writes to the outbox table. It keeps an offset, flushed {}.", flush_words(p.flush_ms)) }</p>
                <p class="outbox-offset" data-offset={v.offset.to_string()}>{ format!("Flushed offset: {} (a crash restarts after row {})", v.offset, v.offset) }</p>
            </>
        },
        Mode::OutboxPolling | Mode::OutboxInbox => {
            html! { <p>{ format!("Polls unsent rows every {} ms; marks each after publishing.", p.poll_ms) }</p> }
        }
    };
    let partitions = html! {
        <ul class="outbox-partitions">
            { for v.partitions.iter().map(|(k, waiting, head)| html! {
                <li data-waiting={waiting.to_string()}><span class="outbox-key">{ format!("key {k}") }</span>
                    { for head.iter().map(|m| html! { <span class="outbox-msg">{ format!("#{m}") }</span> }) }
                    if *waiting > head.len() { <span class="outbox-more-msgs">{ format!("+{}", waiting - head.len()) }</span> }
                    if *waiting == 0 { <span class="outbox-empty">{ "empty" }</span> }
                </li>
            }) }
            if v.partitions.is_empty() { <li class="outbox-empty">{ "no messages yet" }</li> }
        </ul>
    };
    let inbox = if p.mode.uses_inbox() {
        table(
            "inbox",
            &["consumer", "message_id"],
            v.inbox_total,
            v.inbox.iter().map(|m| (vec!["shipping".into(), m.to_string()], "")).collect(),
        )
    } else {
        html! { <p class="outbox-none">{ "No inbox: every delivery applies its effect." }</p> }
    };
    let effects = table(
        "effects",
        &["message", "note"],
        v.effects_total,
        v.effects
            .iter()
            .map(|(m, dup, ghost)| {
                let note = match (dup, ghost) {
                    (true, true) => "⚠ duplicate, order not committed yet",
                    (true, false) => "⚠ duplicate",
                    (false, true) => "⚠ order not committed yet",
                    (false, false) => "shipped",
                };
                (vec![format!("#{m}"), note.to_string()], if *dup || *ghost { "bad" } else { "" })
            })
            .collect(),
    );
    let relay_title = html! { <Term word="Relay" /> };
    let broker_title = html! {
        <>{ "Broker (" }<Term word="partition" />{ " per customer)" }</>
    };
    html! {
        <figure class="outbox-pipeline" aria-label="The pipeline at the current record" ref={root}>
            <div class="outbox-row">
                { stage(Actor::Service, html! { "Order service" }, Some(v.crashes[0]), html! { <p>{ service_text(p.mode) }</p> }) }
                { arrow("write", "→") }
                { stage(Actor::ServiceDb, html! { "Service DB" }, None, html! { <>{ orders }{ outbox_table }</> }) }
                { arrow("read", "→") }
                { stage(Actor::Relay, relay_title, Some(v.crashes[1]), relay_body) }
            </div>
            <div class="outbox-turn" aria-hidden="true"><span>{ "publish ↓" }</span></div>
            // The second row runs right to left, so the broker sits under the
            // relay; the DOM keeps the pipeline's order for screen readers.
            <div class="outbox-row outbox-row-back">
                { stage(Actor::Broker, broker_title, None, partitions) }
                { arrow("deliver", "←") }
                { stage(Actor::Consumer, html! { "Shipping consumer" }, Some(v.crashes[2]), html! { <p>{ consumer_text(p.mode, p.inbox) }</p> }) }
                { arrow("commit", "←") }
                { stage(Actor::ConsumerDb, html! { "Consumer DB" }, None, html! { <>{ inbox }{ effects }</> }) }
            </div>
        </figure>
    }
}

/// How often the offset is flushed, in words.
fn flush_words(ms: u64) -> String {
    if ms == 0 {
        "after every publish".into()
    } else {
        format!("every {ms} ms")
    }
}

/// What the consumer does, by design and inbox variant.
fn consumer_text(m: Mode, inbox: Inbox) -> &'static str {
    if !m.uses_inbox() {
        return "Applies the effect, then acks.";
    }
    match inbox {
        Inbox::Atomic => "Inserts the inbox row and applies the effect in one transaction, then acks.",
        Inbox::MarkFirst => "Commits the inbox row, then the effect (two transactions), then acks.",
        Inbox::ApplyFirst => "Commits the effect, then the inbox row (two transactions), then acks.",
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

/// A small table of its newest rows; older rows are counted rather than
/// drawn, and the newest is marked so CSS can fade it in.
fn table(name: &'static str, cols: &[&'static str], total: usize, rows: Vec<(Vec<String>, &'static str)>) -> Html {
    let hidden = total.saturating_sub(rows.len());
    let last = rows.len();
    html! {
        <table class={classes!("outbox-table", format!("outbox-t-{name}"))} data-table={name} data-rows={total.to_string()}>
            <caption>{ format!("{name} ({total} rows)") }</caption>
            <thead><tr>{ for cols.iter().map(|c| html! { <th scope="col">{ *c }</th> }) }</tr></thead>
            <tbody>
                if hidden > 0 { <tr class="outbox-more"><td colspan={cols.len().to_string()}>{ format!("… {hidden} earlier") }</td></tr> }
                { for rows.into_iter().enumerate().map(|(i, (cells, cls))| html! {
                    <tr class={classes!((!cls.is_empty()).then_some(cls), (i + 1 == last).then_some("newest"))}>
                        { for cells.into_iter().map(|c| html! { <td>{ c }</td> }) }
                    </tr>
                }) }
            </tbody>
        </table>
    }
}

/// Props of [`LogWindow`].
#[derive(Properties, PartialEq, Clone)]
pub struct LogWindowProps {
    /// The record number of the first line.
    pub first: usize,
    /// The newest lines up to the current step; the last is current.
    pub lines: Vec<AttrValue>,
    /// Records in the whole run.
    pub total: usize,
}

/// The event log up to the current record, newest last; older lines are
/// counted, so a step never redraws the whole log.
#[component]
pub fn LogWindow(p: &LogWindowProps) -> Html {
    let shown = p.first + p.lines.len() - 1;
    let last = p.lines.len();
    // The current line is the last: keep it in view inside the log's own
    // scroll box, without scrolling the page.
    let scroller = use_node_ref();
    {
        let scroller = scroller.clone();
        use_effect_with(shown, move |_| {
            if let Some(el) = scroller.cast::<web_sys::Element>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
    html! {
        // The scroll box is focusable, so keyboard users can scroll it too.
        <div class="outbox-log" tabindex="0" role="region" aria-label="Event log, scrollable" ref={scroller}>
            <details class="event-log" open=true>
                <summary>{ format!("Event log ({shown} of {})", p.total) }</summary>
                if p.first > 1 { <p class="outbox-log-earlier">{ format!("… {} earlier records", p.first - 1) }</p> }
                <ol start={p.first.to_string()} aria-label="Event log" aria-live="off">
                    { for p.lines.iter().enumerate().map(|(i, l)| html! {
                        <li class={classes!((i + 1 == last).then_some("current"))}>{ l.clone() }</li>
                    }) }
                </ol>
            </details>
        </div>
    }
}
