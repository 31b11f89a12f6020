//! Keys: the Idempotency-Key state machine under lost messages, crashes and
//! client bugs. A single operation steps through a sequence diagram with the
//! key's state badge and a two-column ledger; a batch of many operations with
//! the same seed fills the evidence panel.

use crate::app::LabProps;
use crate::components::{
    Counter, EventLog, Evidence, ExportBar, ItemKind, LinkWarnings, Select, Slider, StepControls, Timeline,
    TimelineItem, Toggle,
};
use crate::query::Query;
use crate::web;
use idemlab_sim::backoff::Strategy;
use idemlab_sim::keys::view::{self, Badge, Lane, LedgerLine, Shape, Tone};
use idemlab_sim::keys::{self, presets, ClientPolicy, Durability, KeysCounters, KeysParams, KeysRun, On5xx, Preset};
use yew::prelude::*;

/// Largest batch the page runs (the engine accepts more; the CLI runs them).
pub const OPS_MAX_WEB: i64 = 5_000;

/// Reads one of `slugs`, defaulting to `default` (which must be among them).
fn choice_or(q: &mut Query, key: &str, default: &'static str, slugs: &[&'static str]) -> &'static str {
    let mut ordered = vec![default];
    ordered.extend(slugs.iter().copied().filter(|s| *s != default));
    q.choice(key, &ordered)
}

/// Reads the preset and every knob from the permalink: the preset gives the
/// defaults and any knob in the link overrides it.
pub fn params_from(q: &mut Query) -> (Option<Preset>, KeysParams) {
    let preset = match q.get("preset").map(str::to_string) {
        None => None,
        Some(s) => match Preset::from_slug(&s) {
            Some(p) => Some(p),
            None => {
                let names: Vec<&str> = Preset::ALL.iter().map(|p| p.slug()).collect();
                let shown: String = s.chars().filter(|c| !c.is_control()).take(40).collect();
                q.warnings
                    .push(format!("preset={shown:?} is not one of {}; using the correct setup.", names.join(", ")));
                None
            }
        },
    };
    let d = preset.unwrap_or(Preset::Correct).params();
    let policies: Vec<&'static str> = ClientPolicy::ALL.iter().map(|p| p.slug()).collect();
    let fives: Vec<&'static str> = On5xx::ALL.iter().map(|p| p.slug()).collect();
    let stores: Vec<&'static str> = Durability::ALL.iter().map(|p| p.slug()).collect();
    let strategies: Vec<&'static str> = Strategy::ALL.iter().map(|s| s.slug()).collect();
    let pct = |f: f64| (f * 100.0).round() as i64;
    let base = q.int("base", i64::from(d.backoff_base_ms), 1, 2_000);
    let p = KeysParams {
        ops: q.int("ops", i64::from(d.ops).min(OPS_MAX_WEB), 1, OPS_MAX_WEB) as u32,
        policy: ClientPolicy::from_slug(choice_or(q, "policy", d.policy.slug(), &policies)).unwrap_or(d.policy),
        fingerprint: q.flag("fp", d.fingerprint),
        require_key: q.flag("reqkey", d.require_key),
        on_5xx: On5xx::from_slug(choice_or(q, "on5xx", d.on_5xx.slug(), &fives)).unwrap_or(d.on_5xx),
        store: Durability::from_slug(choice_or(q, "store", d.store.slug(), &stores)).unwrap_or(d.store),
        request_loss: q.pct("rqloss", pct(d.request_loss)),
        response_loss: q.pct("rsloss", pct(d.response_loss)),
        crash_before_charge: q.pct("crashb", pct(d.crash_before_charge)),
        crash_after_charge: q.pct("crasha", pct(d.crash_after_charge)),
        provider_error: q.pct("perr", pct(d.provider_error)),
        processing_ms: q.int("proc", i64::from(d.processing_ms), 1, 2_000) as u32,
        timeout_ms: q.int("tmo", i64::from(d.timeout_ms), 1, 5_000) as u32,
        key_ttl_ms: q.int("ttl", i64::from(d.key_ttl_ms), 0, 60_000) as u32,
        attempts_max: q.int("att", i64::from(d.attempts_max), 1, i64::from(KeysParams::ATTEMPTS_MAX)) as u32,
        backoff: Strategy::from_slug(choice_or(q, "bo", d.backoff.slug(), &strategies)).unwrap_or(d.backoff),
        backoff_base_ms: base as u32,
        backoff_cap_ms: q.int("cap", i64::from(d.backoff_cap_ms), 1, 10_000).max(base) as u32,
        seed: q.seed("seed", d.seed),
    };
    (preset, p)
}

/// Writes every knob of `p` into `q`, so a preset link is also a plain link.
pub fn write_params(q: &Query, preset: Option<Preset>, p: &KeysParams) -> Query {
    let mut q = q.clone();
    q.warnings.clear();
    match preset {
        Some(pr) => q.set("preset", pr.slug()),
        None => q.remove("preset"),
    }
    let pct = |f: f64| (f * 100.0).round() as i64;
    q.set("ops", p.ops);
    q.set("policy", p.policy.slug());
    q.set("fp", u8::from(p.fingerprint));
    q.set("reqkey", u8::from(p.require_key));
    q.set("on5xx", p.on_5xx.slug());
    q.set("store", p.store.slug());
    q.set("rqloss", pct(p.request_loss));
    q.set("rsloss", pct(p.response_loss));
    q.set("crashb", pct(p.crash_before_charge));
    q.set("crasha", pct(p.crash_after_charge));
    q.set("perr", pct(p.provider_error));
    q.set("proc", p.processing_ms);
    q.set("tmo", p.timeout_ms);
    q.set("ttl", p.key_ttl_ms);
    q.set("att", p.attempts_max);
    q.set("bo", p.backoff.slug());
    q.set("base", p.backoff_base_ms);
    q.set("cap", p.backoff_cap_ms);
    q.set("seed", p.seed);
    q.set("step", 0);
    q
}

/// The evidence counters of a batch, with the one that proves `key_id` marked.
pub fn counters_of(c: &KeysCounters, key_id: &str) -> Vec<Counter> {
    let r = c.rates();
    let pct = |x: f64| format!("{:.1} %", x * 100.0);
    let mark = |k: Counter| if k.id == key_id { k.key() } else { k };
    vec![
        mark(Counter::new("intended", "Intended operations", c.intended)),
        mark(Counter::new("charges", "Provider charges", c.charges).bad_if(c.charges != c.intended)),
        mark(Counter::new("double_charges", "Double charges", c.double_charges).bad_if(c.double_charges > 0)),
        mark(Counter::new("silent_losses", "Silently lost operations", c.silent_losses).bad_if(c.silent_losses > 0)),
        mark(Counter::new("failed_visibly", "Failed, and the client knows", c.failed_visibly)),
        mark(Counter::new("attempts", "Requests sent", c.attempts)),
        mark(Counter::new("replays", "Replays (Idempotent-Replayed)", c.replays)),
        mark(Counter::new("replayed_5xx", "Replayed 500s", c.replayed_5xx).bad_if(c.replayed_5xx > 0)),
        mark(Counter::new("conflicts_409", "409 Conflict", c.conflicts_409)),
        mark(Counter::new("mismatches_422", "422 fingerprint mismatch", c.mismatches_422)),
        mark(Counter::new("missing_key_400", "400 missing key", c.missing_key_400)),
        mark(Counter::new("crashes", "Server crashes", c.crashes)),
        mark(Counter::new("keys_lost", "Keys lost in crashes", c.keys_lost).bad_if(c.keys_lost > 0)),
        mark(Counter::new("keys_expired", "Keys expired (TTL)", c.keys_expired)),
        mark(Counter::new("replay_rate", "Replay rate", pct(r.replay_rate))),
        mark(Counter::new("conflict_rate", "409 + 422 rate", pct(r.conflict_rate + r.mismatch_rate))),
        mark(
            Counter::new("double_charge_rate", "Double charges per operation", pct(r.double_charge_rate))
                .bad_if(r.double_charge_rate > 0.0),
        ),
        mark(Counter::new("retry_amplification", "Requests per operation", format!("{:.2}×", r.retry_amplification))),
    ]
}

fn kind_of(s: Shape) -> ItemKind {
    match s {
        Shape::Block => ItemKind::Block,
        Shape::Wait => ItemKind::Wait,
        Shape::Good => ItemKind::Good,
        Shape::Bad => ItemKind::Bad,
        Shape::Arrow => ItemKind::Arrow,
        Shape::LostArrow => ItemKind::LostArrow,
        Shape::Marker => ItemKind::Marker,
    }
}

/// Everything the step-through draws, computed once per run.
#[derive(PartialEq)]
struct StepData {
    items: Vec<TimelineItem>,
    lines: Vec<AttrValue>,
    badges: Vec<Option<(u32, Badge)>>,
    x_max_ms: f64,
    client: Vec<LedgerLine>,
    provider: Vec<LedgerLine>,
}

fn step_data(run: &KeysRun) -> StepData {
    let steps = view::steps(run);
    let mut items = Vec::new();
    let mut x_max_ms: f64 = 1.0;
    for (i, s) in steps.iter().enumerate() {
        for it in &s.items {
            let (x0, x1) = (it.x0_us as f64 / 1_000.0, it.x1_us as f64 / 1_000.0);
            x_max_ms = x_max_ms.max(x1);
            items.push(TimelineItem {
                lane: it.lane.index(),
                to_lane: it.to.map(Lane::index),
                x0,
                x1,
                label: it.label.clone().into(),
                kind: kind_of(it.shape),
                step: i + 1,
            });
        }
    }
    let lines =
        steps.iter().map(|s| AttrValue::from(format!("{:.1} ms · {}", s.at_us as f64 / 1_000.0, s.line))).collect();
    let badges = steps.iter().map(|s| s.badge).collect();
    let (client, provider) = view::ledger(run);
    StepData { items, lines, badges, x_max_ms: x_max_ms * 1.1, client, provider }
}

fn tone_class(t: Tone) -> (&'static str, &'static str) {
    match t {
        Tone::Good => ("keys-good", "✓ "),
        Tone::Bad => ("keys-bad", "⚠ "),
        Tone::Neutral => ("keys-neutral", "• "),
    }
}

/// The Keys lab page.
#[component]
pub fn Keys(p: &LabProps) -> Html {
    let mut q = p.query.clone();
    let (preset, params) = params_from(&mut q);
    let step_params = KeysParams { ops: presets::step_ops(params.policy), ..params.clone() };
    let step_run = use_memo(step_params, |p| {
        keys::run(p).map(|r| {
            let d = step_data(&r);
            (r, d)
        })
    });
    let batch = use_memo(params.clone(), keys::run);
    let key_id = preset.map_or("double_charges", Preset::key_counter);

    // Post the batch's outcome once per change, for an embedding page.
    {
        let outcome = batch.as_ref().as_ref().ok().map(|r| serde_json::to_value(&r.counters).unwrap_or_default());
        let slug = preset.map_or("custom", Preset::slug);
        use_effect_with((outcome, slug), |(outcome, slug)| {
            if let Some(c) = outcome {
                web::post_event("outcome", "keys", serde_json::json!({ "preset": slug, "counters": c }));
            }
        });
    }

    let emit = {
        let (q, on_query) = (p.query.clone(), p.on_query.clone());
        move |key: &'static str, value: String| {
            let mut next = q.with(key, value);
            // A knob change restarts the step-through, which is a new run.
            if key != "step" {
                next.set("step", 0);
            }
            on_query.emit(next)
        }
    };
    let set_int = |key: &'static str| {
        let emit = emit.clone();
        Callback::from(move |v: i64| emit(key, v.to_string()))
    };
    let set_flag = |key: &'static str| {
        let emit = emit.clone();
        Callback::from(move |v: bool| emit(key, u8::from(v).to_string()))
    };
    let set_choice = |key: &'static str| {
        let emit = emit.clone();
        Callback::from(move |v: String| emit(key, v))
    };
    let new_seed = {
        let emit = emit.clone();
        Callback::from(move |_| emit("seed", web::fresh_seed().to_string()))
    };
    let pick_preset = |pr: Preset| {
        let (q, on_query) = (p.query.clone(), p.on_query.clone());
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            on_query.emit(write_params(&q, Some(pr), &pr.params()));
        })
    };
    let preset_href = |pr: Preset| {
        let mut base = Query::default();
        base.set("area", "keys");
        write_params(&base, Some(pr), &pr.params()).to_search()
    };
    let pct = |f: f64| (f * 100.0).round() as i64;
    let lk = |k: &str| q.locked(k);

    let presets_bar = html! {
        <nav class="keys-presets" aria-label="Presets">
            <span class="keys-presets-label">{ "Presets:" }</span>
            { for Preset::ALL.iter().map(|pr| {
                let current = preset == Some(*pr);
                html! {
                    <a href={preset_href(*pr)} class={classes!("keys-preset", current.then_some("current"), pr.is_buggy().then_some("buggy"))}
                       aria-current={current.then_some("true")} data-preset={pr.slug()} onclick={pick_preset(*pr)}>
                        { if pr.is_buggy() { "✗ " } else { "✓ " } }{ pr.title() }
                    </a>
                }
            }) }
        </nav>
    };
    let lesson = preset.map(|pr| html! { <p class="keys-lesson" data-lesson={pr.slug()}><strong>{ pr.title() }{ ": " }</strong>{ pr.lesson() }</p> });

    let policy_opts =
        ClientPolicy::ALL.iter().map(|x| (AttrValue::from(x.slug()), AttrValue::from(x.title()))).collect::<Vec<_>>();
    let five_opts =
        On5xx::ALL.iter().map(|x| (AttrValue::from(x.slug()), AttrValue::from(x.title()))).collect::<Vec<_>>();
    let store_opts =
        Durability::ALL.iter().map(|x| (AttrValue::from(x.slug()), AttrValue::from(x.title()))).collect::<Vec<_>>();
    let bo_opts =
        Strategy::ALL.iter().map(|x| (AttrValue::from(x.slug()), AttrValue::from(x.title()))).collect::<Vec<_>>();

    let controls = html! {
        <div class="controls keys-controls">
            <Select id="keys-policy" label="Client: keys" options={policy_opts} value={params.policy.slug()} disabled={lk("policy")} on_change={set_choice("policy")} />
            <Toggle id="keys-fp" label="Server compares fingerprints (422 on mismatch)" checked={params.fingerprint} disabled={lk("fp")} on_change={set_flag("fp")} />
            <Toggle id="keys-reqkey" label="Server requires a key (400 without)" checked={params.require_key} disabled={lk("reqkey")} on_change={set_flag("reqkey")} />
            <Select id="keys-on5xx" label="Server, on a 5xx" options={five_opts} value={params.on_5xx.slug()} disabled={lk("on5xx")} on_change={set_choice("on5xx")} />
            <Select id="keys-store" label="Key store" options={store_opts} value={params.store.slug()} disabled={lk("store")} on_change={set_choice("store")} />
            <Slider id="keys-rqloss" label="Request lost" unit="%" value={pct(params.request_loss)} min={0} max={100} disabled={lk("rqloss")} on_change={set_int("rqloss")} />
            <Slider id="keys-rsloss" label="Response lost" unit="%" value={pct(params.response_loss)} min={0} max={100} disabled={lk("rsloss")} on_change={set_int("rsloss")} />
            <Slider id="keys-crashb" label="Crash before the charge" unit="%" value={pct(params.crash_before_charge)} min={0} max={100} disabled={lk("crashb")} on_change={set_int("crashb")} />
            <Slider id="keys-crasha" label="Crash after the charge, before storing" unit="%" value={pct(params.crash_after_charge)} min={0} max={100} disabled={lk("crasha")} on_change={set_int("crasha")} />
            <Slider id="keys-perr" label="Provider error (server answers 500)" unit="%" value={pct(params.provider_error)} min={0} max={100} disabled={lk("perr")} on_change={set_int("perr")} />
            <Slider id="keys-proc" label="Server processing" unit=" ms" value={i64::from(params.processing_ms)} min={10} max={1000} step={10} disabled={lk("proc")} on_change={set_int("proc")} />
            <Slider id="keys-tmo" label="Client timeout" unit=" ms" value={i64::from(params.timeout_ms)} min={10} max={2000} step={10} disabled={lk("tmo")} on_change={set_int("tmo")}
                help={(params.timeout_ms < params.processing_ms).then(|| AttrValue::from("Shorter than the processing: retries arrive while the first attempt runs."))} />
            <Slider id="keys-ttl" label="Key TTL (0 = never expires)" unit=" ms" value={i64::from(params.key_ttl_ms)} min={0} max={5000} step={50} disabled={lk("ttl")} on_change={set_int("ttl")} />
            <Slider id="keys-att" label="Attempts per operation" value={i64::from(params.attempts_max)} min={1} max={20} disabled={lk("att")} on_change={set_int("att")} />
            <Select id="keys-bo" label="Client backoff" options={bo_opts} value={params.backoff.slug()} disabled={lk("bo")} on_change={set_choice("bo")} />
            <Slider id="keys-base" label="Backoff base" unit=" ms" value={i64::from(params.backoff_base_ms)} min={10} max={1000} step={10} disabled={lk("base")} on_change={set_int("base")} />
            <Slider id="keys-ops" label="Operations in the batch" value={i64::from(params.ops)} min={1} max={OPS_MAX_WEB} disabled={lk("ops")} on_change={set_int("ops")} />
            <div class="control seed">
                <span>{ format!("Seed {}", params.seed) }</span>
                <button type="button" onclick={new_seed} disabled={lk("seed")}>{ "New seed" }</button>
            </div>
        </div>
    };

    let stepper = match &*step_run {
        Err(e) => html! { <p class="error" role="alert">{ format!("This run could not start: {e}") }</p> },
        Ok((run, d)) => {
            let steps = d.lines.len();
            let step = (q.int("step", 0, 0, 1_000_000) as usize).min(steps);
            let on_step = {
                let emit = emit.clone();
                Callback::from(move |s: usize| emit("step", s.to_string()))
            };
            let first_key = run.ops.first().and_then(|o| o.key);
            let badge = d.badges.iter().take(step).rev().find_map(|b| *b);
            let (badge_key, badge_state) = match (badge, first_key) {
                (Some((k, b)), _) => (Some(k), b),
                (None, k) => (k, Badge::Absent),
            };
            let badge_html = match badge_key {
                Some(k) => html! {
                    <p class={classes!("keys-badge", format!("keys-badge-{}", badge_state.slug()))} data-badge={badge_state.slug()} aria-live="polite">
                        { format!("Idempotency-Key K{k}: ") }<strong>{ badge_state.text() }</strong>
                    </p>
                },
                None => html! {
                    <p class="keys-badge keys-badge-none" data-badge="none">{ "No Idempotency-Key: the server has nothing to remember." }</p>
                },
            };
            let believed: Vec<&LedgerLine> = d.client.iter().filter(|l| l.step <= step).collect();
            let waiting: Vec<String> = run
                .ops
                .iter()
                .filter(|o| !believed.iter().any(|l| l.op == o.op))
                .map(|o| {
                    format!(
                        "Op {} ${}.{:02}: waiting for an answer…",
                        o.op + 1,
                        o.amount_cents / 100,
                        o.amount_cents % 100
                    )
                })
                .collect();
            let charged: Vec<&LedgerLine> = d.provider.iter().filter(|l| l.step <= step).collect();
            let line = |l: &LedgerLine| {
                let (cls, glyph) = tone_class(l.tone);
                html! { <li class={cls}>{ glyph }{ l.text.clone() }</li> }
            };
            html! {
                <section class="keys-step" aria-label="One operation, step by step">
                    <h3>{ if run.ops.len() > 1 { "Two operations sharing a key, step by step" } else { "One operation, step by step" } }</h3>
                    <StepControls step={step} steps={steps} on_step={on_step} />
                    { badge_html }
                    <div class="keys-diagram">
                        <Timeline lanes={Lane::ALL.iter().map(|l| AttrValue::from(l.title())).collect::<Vec<_>>()}
                            items={d.items.clone()} current={step} x_max={d.x_max_ms} x_label="simulated ms"
                            title="Sequence diagram of client, network, server, key store and provider" />
                    </div>
                    <div class="keys-ledger" data-step={step.to_string()}>
                        <section class="keys-believes" aria-label="What the client believes">
                            <h4>{ "What the client believes" }</h4>
                            <ul>
                                { for believed.iter().map(|l| line(l)) }
                                { for waiting.iter().map(|w| html! { <li class="keys-neutral">{ "… " }{ w.clone() }</li> }) }
                            </ul>
                        </section>
                        <section class="keys-charged" aria-label="What the provider charged">
                            <h4>{ "What the provider charged" }</h4>
                            <ul>
                                { for charged.iter().map(|l| line(l)) }
                                if charged.is_empty() { <li class="keys-neutral">{ if step >= steps { "• nothing charged" } else { "• nothing charged yet" } }</li> }
                            </ul>
                        </section>
                    </div>
                    <EventLog lines={d.lines.clone()} current={step} />
                </section>
            }
        }
    };

    let evidence = match &*batch {
        Err(e) => html! { <p class="error" role="alert">{ format!("This batch could not run: {e}") }</p> },
        Ok(run) => {
            let c = &run.counters;
            let counters = counters_of(c, key_id);
            let belief = format!(
                "the client believes {} of {} operations were charged once; the provider made {} charges.",
                c.believed_charged, c.intended, c.charges
            );
            let trace_json = {
                let batch = batch.clone();
                Callback::from(move |_| match &*batch {
                    Ok(r) => serde_json::to_string_pretty(&r.trace).unwrap_or_default(),
                    Err(e) => e.to_string(),
                })
            };
            let name = format!("keys-{}", preset.map_or("custom", Preset::slug));
            html! {
                <section class="keys-batch" aria-label="Batch">
                    <h3>{ format!("A batch of {} operations, same seed", c.intended) }</h3>
                    <Evidence title="Evidence: what an operator's dashboard would show" belief={Some(AttrValue::from(belief))} counters={counters.clone()} />
                    <ExportBar name={name} trace_json={trace_json} counters={counters} query={p.query.clone()} />
                </section>
            }
        }
    };

    html! {
        <section class="lab keys" data-lab="keys">
            <h2>{ "Idempotency-Keys: new, 409, replay, 422" }</h2>
            <LinkWarnings warnings={q.warnings.clone()} />
            <div class="prose">
                <p>{ "A client charges a customer through a server that calls a payment provider. The client sends an Idempotency-Key header; the server claims the key atomically and runs the charge (new), answers 409 while it runs (in progress), replays the stored status and body with Idempotent-Replayed: true once it completed, and answers 422 when the same key comes with a different body (its fingerprint, a hash over method, path and canonical body, differs). A request without a key where one is required gets 400." }</p>
            </div>
            { presets_bar }
            { lesson }
            { controls }
            { stepper }
            { evidence }
            <details class="keys-choices">
                <summary>{ "Modelling choices this lab makes" }</summary>
                <ul>
                    <li>{ "The charge and the key's recovery point charge_created are recorded in one atomic step (Brandur Leach's atomic phases). A durable store keeps that point through a crash, so the retry resumes without charging again. A volatile store forgets every key in a crash, so the retry runs as new: a lost key is a double charge." }</li>
                    <li>{ "After a crash, keys held by dead requests are released at restart. Brandur's design lets a retry take over a lock older than 90 s; the lab releases them at once so runs stay short." }</li>
                    <li>{ "On a 5xx the server either stores and replays the 500, as Stripe does (nothing runs twice, but the operation fails until the client uses a new key), or releases the key keeping its recovery point so a retry runs again." }</li>
                    <li>{ "The TTL counts from the key's creation, as Stripe's pruning does (at least 24 h there; milliseconds here). A retry after expiry is treated as new." }</li>
                    <li>{ "A key reused with a different body gets 422, as the IETF draft says; Brandur's example answers 409 for that case. The fingerprint is compared before the key's state, so a mismatch is 422 even while the first request runs." }</li>
                    <li>{ "A crash drops the connections in flight; their clients notice at their timeout. The client ignores a response that arrives after it gave up on that attempt. 409 is retried as is; 400 and 422 are not: the client must fix the request." }</li>
                </ul>
            </details>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preset_link_reads_back_as_the_presets_knobs() {
        for pr in Preset::ALL {
            let mut base = Query::default();
            base.set("area", "keys");
            let mut q = Query::parse(&write_params(&base, Some(pr), &pr.params()).to_search());
            let (read, params) = params_from(&mut q);
            assert_eq!(read, Some(pr));
            assert_eq!(params, KeysParams { ops: params.ops, ..pr.params() });
            assert!(q.warnings.is_empty(), "{:?}", q.warnings);
        }
    }

    #[test]
    fn a_bare_preset_link_uses_the_presets_knobs_and_knobs_override_it() {
        let mut q = Query::parse("area=keys&preset=reused-key&fp=1&rsloss=30");
        let (pr, p) = params_from(&mut q);
        assert_eq!(pr, Some(Preset::ReusedKey));
        assert_eq!(p.policy, ClientPolicy::ReusedKey);
        assert!(p.fingerprint);
        assert_eq!(p.response_loss, 0.3);
    }

    #[test]
    fn hostile_values_fall_back_with_warnings() {
        let mut q =
            Query::parse("area=keys&preset=%3Cb%3E&policy=evil&ops=99999999&store=tape&rqloss=-3&cap=0&base=500");
        let (pr, p) = params_from(&mut q);
        assert_eq!(pr, None);
        assert_eq!(p.policy, ClientPolicy::KeyPerOperation);
        assert_eq!(p.ops, OPS_MAX_WEB as u32);
        assert_eq!(p.store, Durability::Durable);
        assert!(p.backoff_cap_ms >= p.backoff_base_ms);
        assert!(q.warnings.len() >= 5, "{:?}", q.warnings);
        assert!(keys::run(&p).is_ok());
    }

    #[test]
    fn the_key_counter_is_marked_once() {
        let c = KeysCounters { intended: 3, charges: 4, double_charges: 1, ..Default::default() };
        let counters = counters_of(&c, "double_charges");
        assert_eq!(counters.iter().filter(|c| c.key).count(), 1);
        assert!(counters.iter().any(|c| c.id == "double_charges" && c.key && c.bad));
    }
}
