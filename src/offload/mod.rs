//! Heavy work off the main thread, for every lab.
//!
//! A lab describes a job as data (a [`JobKind`]: a permalink, the Retries study
//! sweep, fleet or compare view, a handler text) and calls [`use_offload`],
//! which hands back that kind's own reply type. The job runs in a Web Worker
//! ([`OffloadWorker`], built by Trunk from `src/bin/idemlab-worker.rs` with
//! gloo-worker), one slice at a time: after each slice the worker posts
//! progress with the output so far, then yields to its event loop, so a
//! cancel or a newer job is read between slices. The page's own thread only
//! receives the figures and renders them.
//!
//! The worker is spawned from `./idemlab-worker_loader.js`, Trunk's loader
//! shim next to the app, so it loads under the page's Content-Security-Policy
//! (`worker-src 'self'`) without a blob: URL.

mod here;
mod job;
mod kinds;

pub use here::worker_refused;

/// Whether this page can have a Web Worker: tries the constructor once (see
/// [`here::probe`]); call it only where a worker is about to be used.
/// Natively (the unit tests) there is no browser to ask, so it says yes.
pub fn can_have_worker() -> bool {
    !cfg!(target_arch = "wasm32") || here::probe().is_ok()
}

/// Where this page's offloaded jobs run, for its status lines: "in a Web
/// Worker", or on the page's own thread once the browser refused it one.
pub fn where_jobs_run() -> &'static str {
    match worker_refused() {
        None => "in a Web Worker",
        Some(_) => "on the page's own thread (this browser gave it no Web Worker)",
    }
}

pub use job::{ExplorationData, HandlerExplored, Job, JobOutput, JobRun, Slice, SweepPointData};
pub use kinds::{CompareJob, ExploreJob, FleetJob, JobKind, PermalinkJob, SweepJob};

use gloo_worker::{HandlerId, Spawnable, Worker, WorkerBridge, WorkerScope};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use yew::prelude::*;

/// Where Trunk puts the worker's loader shim, relative to the page.
pub const WORKER_LOADER: &str = "./idemlab-worker_loader.js";

/// A message from the page to the worker.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Request {
    /// Starts job number `id`, dropping any job the same page started before.
    Start {
        /// The page's number for this job; replies carry it.
        id: u32,
        /// What to run.
        job: Job,
    },
    /// Stops job `id` if it is still running.
    Cancel {
        /// The job to stop.
        id: u32,
    },
}

/// A message from the worker to the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// Job `id` finished `done` of `total` slices; `partial` is the output so far.
    Progress {
        /// The job.
        id: u32,
        /// Slices finished.
        done: u32,
        /// Slices in all.
        total: u32,
        /// The output so far.
        partial: JobOutput,
    },
    /// Job `id` finished, or the core refused it with a reason.
    Done {
        /// The job.
        id: u32,
        /// The output or the reason.
        output: Result<JobOutput, String>,
    },
    /// Job `id` was cancelled before it finished.
    Cancelled {
        /// The job.
        id: u32,
    },
}

/// The job a page is running in the worker.
struct Running {
    bridge: HandlerId,
    id: u32,
    run: JobRun,
}

/// The worker: one running job per connected page.
pub struct OffloadWorker {
    running: Vec<Running>,
}

/// Runs the next slice of job `id` for page `bridge` (a message the worker sends itself).
pub struct Continue {
    bridge: HandlerId,
    id: u32,
}

impl OffloadWorker {
    /// Queues the next slice behind any message already waiting (a cancel,
    /// a newer job): a zero timeout is a macrotask, unlike a microtask that
    /// would run before the worker reads its next message.
    fn schedule(scope: &WorkerScope<Self>, bridge: HandlerId, id: u32) {
        scope.send_future(async move {
            gloo_timers::future::TimeoutFuture::new(0).await;
            Continue { bridge, id }
        });
    }
}

impl Worker for OffloadWorker {
    type Message = Continue;
    type Input = Request;
    type Output = Reply;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        OffloadWorker { running: Vec::new() }
    }

    fn update(&mut self, scope: &WorkerScope<Self>, msg: Continue) {
        let Some(pos) = self.running.iter().position(|r| r.bridge == msg.bridge && r.id == msg.id) else {
            return; // cancelled or replaced meanwhile
        };
        match self.running[pos].run.step() {
            Slice::Progress { done, total, partial } => {
                scope.respond(msg.bridge, Reply::Progress { id: msg.id, done, total, partial });
                Self::schedule(scope, msg.bridge, msg.id);
            }
            Slice::Finished(output) => {
                self.running.swap_remove(pos);
                scope.respond(msg.bridge, Reply::Done { id: msg.id, output });
            }
        }
    }

    fn received(&mut self, scope: &WorkerScope<Self>, msg: Request, bridge: HandlerId) {
        match msg {
            Request::Start { id, job } => {
                self.running.retain(|r| r.bridge != bridge);
                self.running.push(Running { bridge, id, run: JobRun::new(job) });
                Self::schedule(scope, bridge, id);
            }
            Request::Cancel { id } => {
                let before = self.running.len();
                self.running.retain(|r| !(r.bridge == bridge && r.id == id));
                if self.running.len() < before {
                    scope.respond(bridge, Reply::Cancelled { id });
                }
            }
        }
    }

    fn disconnected(&mut self, _scope: &WorkerScope<Self>, bridge: HandlerId) {
        self.running.retain(|r| r.bridge != bridge);
    }
}

/// A connection to where a page's jobs run: the page's Web Worker, or,
/// in a browser that gives the page none, its own thread (see [`here`]).
enum Link {
    /// A bridge to the worker.
    Worker(WorkerBridge<OffloadWorker>),
    /// Jobs stepped on the page's own thread.
    Here(here::HereLink),
}

impl Link {
    /// Starts or cancels a job.
    fn send(&self, msg: Request) {
        match self {
            Link::Worker(b) => b.send(msg),
            Link::Here(h) => h.send(msg),
        }
    }
}

/// A connection of its own with `on_reply` receiving every reply: a new
/// worker, or the page's thread when it cannot have one.
fn spawn(on_reply: impl Fn(Reply) + 'static) -> Link {
    match here::probe() {
        Ok(()) => Link::Worker(OffloadWorker::spawner().callback(on_reply).spawn_with_loader(WORKER_LOADER)),
        Err(_) => Link::Here(here::HereLink::new(on_reply)),
    }
}

/// How long the page waits for the worker's first answer before it says
/// the worker may not have loaded. A `Worker` that fails to load (a missing
/// file, a Content-Security-Policy that refuses it) fires an `error` event
/// that gloo-worker does not pass on, so silence is the only sign the page
/// gets. The first answer comes after the smallest slice, well under a second
/// once the worker's wasm is compiled; the wait leaves room for a slow laptop.
pub const ANSWER_WAIT_MS: u32 = 5_000;

/// What the page knows about its current job, shared with the bridge's callback.
struct Current<K: JobKind> {
    /// The job's number.
    id: u32,
    /// The job itself, so a render can tell whether the state is about the job it asks for.
    job: Option<K>,
    /// Whether the worker has answered about this job.
    answered: bool,
    /// The output so far, kept for a cancel.
    partial: Option<Rc<K::Reply>>,
}

impl<K: JobKind> Default for Current<K> {
    fn default() -> Self {
        Current { id: 0, job: None, answered: false, partial: None }
    }
}

/// Said when the worker's reply is another kind's than the job's: a worker
/// bug, shown as a failure rather than drawn.
const OTHER_KINDS_REPLY: &str = "the Web Worker answered with another job's reply";

/// Turns replies for the page's current job into its state; replies for a
/// job the page has already replaced are dropped. The one place a wire
/// reply becomes the job's own reply type.
fn on_reply<K: JobKind>(
    setter: UseStateSetter<Offloaded<K::Reply>>,
    current: Rc<RefCell<Current<K>>>,
) -> impl Fn(Reply) {
    move |r: Reply| {
        let mut now = current.borrow_mut();
        let id = match &r {
            Reply::Progress { id, .. } | Reply::Done { id, .. } | Reply::Cancelled { id } => *id,
        };
        if id != now.id {
            return;
        }
        now.answered = true;
        match r {
            Reply::Progress { done, total, partial, .. } => match K::reply_of(partial) {
                Ok(partial) => {
                    let partial = Rc::new(partial);
                    now.partial = Some(partial.clone());
                    setter.set(Offloaded::Running { done, total, partial: Some(partial) })
                }
                Err(_) => setter.set(Offloaded::Failed(OTHER_KINDS_REPLY.into())),
            },
            Reply::Done { output, .. } => setter.set(match output.map(K::reply_of) {
                Ok(Ok(o)) => Offloaded::Done(Rc::new(o)),
                Ok(Err(_)) => Offloaded::Failed(OTHER_KINDS_REPLY.into()),
                Err(e) => Offloaded::Failed(e),
            }),
            Reply::Cancelled { .. } => setter.set(Offloaded::Cancelled { partial: now.partial.clone() }),
        }
    }
}

/// What [`use_offload`] shows: the state of the job it was given in this
/// render, with the job kind's own reply type `R`.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Offloaded<R> {
    /// No job asked for.
    #[default]
    Idle,
    /// Running: `done` of `total` slices, with the output so far (`None` before the first slice).
    Running {
        /// Slices finished.
        done: u32,
        /// Slices in all (0 until the first reply).
        total: u32,
        /// The output so far.
        partial: Option<Rc<R>>,
    },
    /// Finished with this output.
    Done(Rc<R>),
    /// The core refused the job.
    Failed(String),
    /// The learner cancelled it; `partial` is what it had made by then.
    Cancelled {
        /// The output when it stopped.
        partial: Option<Rc<R>>,
    },
    /// The worker has not answered in [`ANSWER_WAIT_MS`]: it may have failed
    /// to load. The job stays asked for; an answer still replaces this state.
    NoAnswer,
}

/// The state of an offloaded job and a way to cancel it.
#[derive(Clone)]
pub struct OffloadHandle<R> {
    /// Where the job stands.
    pub state: Offloaded<R>,
    /// Stops the running job (the worker drops it between slices).
    pub cancel: Callback<()>,
    /// Runs the same job again from the start (after a cancel).
    pub rerun: Callback<()>,
}

/// One page's Web Worker, shared by the page's jobs of every kind: spawned
/// on the first job, so a page that never offloads loads no worker, and
/// dropped with the page. Each [`use_offload_on`] talks to it through its
/// own fork of the bridge, so each job kind has its own callback. When the
/// browser gives the page no worker, the inner value stays `None` and each
/// connection steps its jobs on the page's thread.
#[derive(Clone, Default)]
pub struct PageWorker(Rc<RefCell<Option<WorkerBridge<OffloadWorker>>>>);

impl PartialEq for PageWorker {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl PageWorker {
    /// A new bridge to the page's worker (spawning it if needed) that hands every reply to `on_reply`.
    fn connect(&self, on_reply: impl Fn(Reply) + 'static) -> Link {
        let mut root = self.0.borrow_mut();
        if root.is_none() {
            if here::probe().is_err() {
                return Link::Here(here::HereLink::new(on_reply));
            }
            *root = Some(OffloadWorker::spawner().spawn_with_loader(WORKER_LOADER));
        }
        match root.as_ref() {
            Some(root) => Link::Worker(root.fork(Some(on_reply))),
            None => Link::Here(here::HereLink::new(on_reply)),
        }
    }
}

/// The page's worker, for pages with more than one kind of job (see [`use_offload_on`]).
#[hook]
pub fn use_page_worker() -> PageWorker {
    let w = use_memo((), |()| PageWorker::default());
    (*w).clone()
}

/// Runs `job` in a worker of its own whenever it changes (`None` runs
/// nothing); see [`use_offload_on`].
///
/// ```text
/// let sweep = use_offload(Some(SweepJob { clients_max: 40, runs: 3, seed: 1 }));
/// match &sweep.state { Offloaded::Done(points) => …, … } // points: Rc<Vec<SweepPointData>>
/// ```
#[hook]
pub fn use_offload<K: JobKind>(job: Option<K>) -> OffloadHandle<K::Reply> {
    let worker = use_page_worker();
    use_offload_on(&worker, job)
}

/// Runs `job` in the page's `worker` whenever it changes (`None` runs
/// nothing), and re-renders the caller with progress and the result, as the
/// job kind's own reply type. A newer job replaces a running one (the worker
/// drops the old one between slices); unmounting drops it. The state
/// returned is always about `job`: in the render where the job changes,
/// before the new one has started, it is `Running` with nothing done, never
/// the previous job's output.
#[hook]
pub fn use_offload_on<K: JobKind>(worker: &PageWorker, job: Option<K>) -> OffloadHandle<K::Reply> {
    let state = use_state(Offloaded::<K::Reply>::default);
    let next_id = use_mut_ref(|| 0u32);
    let current = use_mut_ref(Current::<K>::default);
    let generation = use_state(|| 0u32);
    // Connected on the first job, so a page that never offloads loads no worker.
    let bridge = use_mut_ref(|| Option::<Link>::None);
    let watchdog = use_mut_ref(|| Option::<gloo_timers::callback::Timeout>::None);
    {
        let (state, bridge, current, worker) = (state.clone(), bridge.clone(), current.clone(), worker.clone());
        use_effect_with((job.clone(), *generation), move |(job, _)| {
            let id = {
                let mut n = next_id.borrow_mut();
                *n += 1;
                *n
            };
            let previous = std::mem::replace(
                &mut *current.borrow_mut(),
                Current { id, job: job.clone(), answered: false, partial: None },
            );
            let Some(job) = job.as_ref().map(K::job) else {
                // No job any more: stop the one running, if any.
                if let Some(b) = bridge.borrow().as_ref() {
                    b.send(Request::Cancel { id: previous.id });
                }
                watchdog.borrow_mut().take();
                state.set(Offloaded::Idle);
                return;
            };
            state.set(Offloaded::Running { done: 0, total: 0, partial: None });
            let mut b = bridge.borrow_mut();
            let b = b.get_or_insert_with(|| worker.connect(on_reply(state.setter(), current.clone())));
            b.send(Request::Start { id, job });
            if matches!(b, Link::Here(_)) {
                // On the page's own thread there is no file that may have failed to load.
                watchdog.borrow_mut().take();
                return;
            }
            let (setter, current) = (state.setter(), current.clone());
            *watchdog.borrow_mut() = Some(gloo_timers::callback::Timeout::new(ANSWER_WAIT_MS, move || {
                let now = current.borrow();
                if now.id == id && !now.answered {
                    setter.set(Offloaded::NoAnswer);
                }
            }));
        });
    }
    {
        let bridge = bridge.clone();
        use_effect_with((), move |_| move || drop(bridge.borrow_mut().take()));
    }
    let cancel = {
        let (bridge, current) = (bridge.clone(), current.clone());
        Callback::from(move |()| {
            if let Some(b) = bridge.borrow().as_ref() {
                b.send(Request::Cancel { id: current.borrow().id });
            }
        })
    };
    let rerun = {
        let generation = generation.clone();
        Callback::from(move |()| generation.set(*generation + 1))
    };
    // Until the effect has started a changed job, the state is the old job's.
    let fresh = current.borrow().job == job;
    let state = match (&job, fresh) {
        (None, _) => Offloaded::Idle,
        (Some(_), true) => (*state).clone(),
        (Some(_), false) => Offloaded::Running { done: 0, total: 0, partial: None },
    };
    OffloadHandle { state, cancel, rerun }
}

/// Runs `job` (a JS object in the shape of [`Job`], e.g.
/// `{ StudySweep: { clients_max: 190, runs: 100, seed: 1 } }`) in the worker
/// from the browser console or a test, calling `on_progress(done, total)`
/// after every slice; a callback that returns `false` cancels the job. Resolves with the output (`{ Sweep: [...] }` or
/// `{ Report: "<json>" }`) and rejects with the core's reason. The same
/// bridge as [`use_offload`]; the browser benchmark times it.
#[wasm_bindgen]
pub fn offload(job: JsValue, on_progress: js_sys::Function) -> Result<js_sys::Promise, JsValue> {
    let job: Job = serde_wasm_bindgen::from_value(job).map_err(|e| JsValue::from_str(&e.to_string()))?;
    Ok(js_sys::Promise::new(&mut |resolve, reject| {
        let keep: Rc<RefCell<Option<Link>>> = Rc::new(RefCell::new(None));
        let holder = keep.clone();
        let on_progress = on_progress.clone();
        let bridge = spawn(move |r: Reply| match r {
            Reply::Progress { done, total, .. } => {
                // Returning `false` from the callback cancels the job.
                let go_on = on_progress.call2(&JsValue::NULL, &done.into(), &total.into());
                if go_on.is_ok_and(|v| v == JsValue::FALSE) {
                    if let Some(b) = holder.borrow().as_ref() {
                        b.send(Request::Cancel { id: 1 });
                    }
                }
            }
            Reply::Done { output, .. } => {
                let _ = match output {
                    Ok(o) => resolve.call1(&JsValue::NULL, &serde_wasm_bindgen::to_value(&o).unwrap_or(JsValue::NULL)),
                    Err(e) => reject.call1(&JsValue::NULL, &JsValue::from_str(&e)),
                };
                // The job is over: dropping the bridge lets the worker go.
                holder.borrow_mut().take();
            }
            Reply::Cancelled { .. } => {
                let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("cancelled"));
                holder.borrow_mut().take();
            }
        });
        bridge.send(Request::Start { id: 1, job: job.clone() });
        *keep.borrow_mut() = Some(bridge);
    }))
}
