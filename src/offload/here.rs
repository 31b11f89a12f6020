//! Jobs on the page's own thread, for a browser that gives the page no Web
//! Worker (`Worker` undefined, or throwing when constructed: some embedded
//! browsers and locked-down profiles do either).
//!
//! gloo-worker's spawner panics when `new Worker(…)` throws, so the page
//! first tries the constructor itself ([`probe`]) and, when it fails, runs
//! each job here instead, with the worker's own wasm (`idemlab-worker.js`
//! and its `_bg.wasm`, the files Trunk writes next to the app) loaded once on
//! the page's thread: the same [`JobRun`] stepper ([`JobOnPage`]), the same
//! bincode messages, one slice per macrotask, so a cancel or a newer job is
//! still read between slices and progress is still drawn. Replies reach the
//! page's callback from a task of their own, never from inside `send`,
//! exactly as a worker's messages arrive. The worker's `main` sees a window
//! and does not register as a worker.
//!
//! Why the worker's wasm and not the page's: a handler text needs the parser,
//! which only the worker carries (issue 13), and the stepper would otherwise
//! add about 10 KB gzipped to the page's wasm for browsers that need it rarely.

use super::job::Job;
#[cfg(feature = "parser")]
use super::job::{JobRun, Slice};
use super::{Reply, Request, WORKER_LOADER};
use gloo_worker::{Bincode, Codec};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The worker's wasm-bindgen glue (Trunk's `no-modules` build for workers).
const WORKER_GLUE: &str = "./idemlab-worker.js";
/// The worker's wasm, next to the glue.
const WORKER_WASM: &str = "./idemlab-worker_bg.wasm";

thread_local! {
    /// Whether `new Worker(…)` worked when the page first tried it: `None`
    /// until then, `Some(Err(reason))` once it failed.
    static PROBED: RefCell<Option<Result<(), String>>> = const { RefCell::new(None) };
}

/// Tries `new Worker(WORKER_LOADER)` once per page and says whether the
/// page can have a worker; the worker made here is ended at once (gloo-worker
/// makes the one that works). Later calls return the first answer.
pub fn probe() -> Result<(), String> {
    if let Some(known) = PROBED.with(|p| p.borrow().clone()) {
        return known;
    }
    let has_ctor = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("Worker")).is_ok_and(|c| c.is_function());
    let found = if !has_ctor {
        Err("this browser gives the page no Web Worker".to_string())
    } else {
        match web_sys::Worker::new(WORKER_LOADER) {
            Ok(w) => {
                w.terminate();
                Ok(())
            }
            Err(e) => Err(format!("this browser refused to start a Web Worker ({})", describe(&e))),
        }
    };
    PROBED.with(|p| *p.borrow_mut() = Some(found.clone()));
    found
}

/// Why the page runs its jobs on its own thread, once a job has found out
/// (`None` while a worker works, or before the page first needed one).
pub fn worker_refused() -> Option<String> {
    PROBED.with(|p| p.borrow().clone().and_then(Result::err))
}

/// A JS exception's message, for the page's words.
fn describe(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "no reason given".into())
}

/// One connection's jobs on the page's thread: the job it runs, if any.
pub struct HereLink {
    /// The job that may take its next slice (0: none).
    current: Rc<Cell<u32>>,
    /// Where replies go.
    on_reply: Rc<dyn Fn(Reply)>,
}

impl HereLink {
    /// A connection whose replies go to `on_reply`.
    pub fn new(on_reply: impl Fn(Reply) + 'static) -> HereLink {
        HereLink { current: Rc::new(Cell::new(0)), on_reply: Rc::new(on_reply) }
    }

    /// Starts or cancels a job, as the worker would.
    pub fn send(&self, msg: Request) {
        match msg {
            Request::Start { id, job } => {
                self.current.set(id);
                yew::platform::spawn_local(run(id, job, self.current.clone(), self.on_reply.clone()));
            }
            Request::Cancel { id } => {
                if self.current.get() == id {
                    self.current.set(0);
                    let on_reply = self.on_reply.clone();
                    yew::platform::spawn_local(async move { on_reply(Reply::Cancelled { id }) });
                }
            }
        }
    }
}

impl Drop for HereLink {
    fn drop(&mut self) {
        // The page let go of this connection: its job stops at the next slice.
        self.current.set(0);
    }
}

/// Runs job `id` a slice per macrotask while it is still `current`.
async fn run(id: u32, job: Job, current: Rc<Cell<u32>>, on_reply: Rc<dyn Fn(Reply)>) {
    let job = match job_in_worker_wasm(&job).await {
        Ok(job) => job,
        Err(e) => {
            if current.get() == id {
                current.set(0);
                on_reply(Reply::Done { id, output: Err(e) });
            }
            return;
        }
    };
    let call = |name: &str, args: &js_sys::Array| {
        js_sys::Reflect::get(&job, &JsValue::from_str(name))
            .and_then(|f| f.dyn_into::<js_sys::Function>())
            .and_then(|f| f.apply(&job, args))
    };
    loop {
        // A zero timeout is a macrotask: the page renders and reads input in between.
        gloo_timers::future::TimeoutFuture::new(0).await;
        if current.get() != id {
            break; // cancelled or replaced meanwhile
        }
        let reply = match call("step", &js_sys::Array::of1(&JsValue::from(id))) {
            Ok(bytes) => Bincode::decode::<Reply>(bytes),
            Err(e) => Reply::Done { id, output: Err(describe(&e)) },
        };
        let done = matches!(reply, Reply::Done { .. } | Reply::Cancelled { .. });
        if done {
            current.set(0);
        }
        on_reply(reply);
        if done {
            break;
        }
    }
    // The job's memory lives in the worker's wasm until freed.
    let _ = call("free", &js_sys::Array::new());
}

/// A [`JobOnPage`] for `job`, made in the worker's wasm (loaded on first use).
async fn job_in_worker_wasm(job: &Job) -> Result<JsValue, String> {
    let promise = LOADED.with(|l| l.borrow_mut().get_or_insert_with(load_worker_wasm).clone());
    wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|e| {
        format!("the page could not load the worker's wasm ({WORKER_GLUE}) on its own thread: {}", describe(&e))
    })?;
    let class = WORKER_BINDINGS
        .with(|g| js_sys::Reflect::get(g, &JsValue::from_str("JobOnPage")))
        .ok()
        .and_then(|c| c.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| format!("{WORKER_GLUE} has no JobOnPage"))?;
    js_sys::Reflect::construct(&class, &js_sys::Array::of1(&Bincode::encode(job))).map_err(|e| describe(&e))
}

#[wasm_bindgen]
extern "C" {
    /// The global the worker's `no-modules` glue declares once its script has run.
    #[wasm_bindgen(thread_local_v2, js_name = wasm_bindgen)]
    static WORKER_BINDINGS: JsValue;
}

thread_local! {
    /// The worker's wasm loaded on this thread, once (a shared promise of its exports).
    static LOADED: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
}

/// Adds the worker's glue as a script, then instantiates its wasm; resolves
/// with the glue's exports. A failed load stays failed for this page.
fn load_worker_wasm() -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, reject| {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("no document"));
            return;
        };
        let script = match doc.create_element("script") {
            Ok(s) => s,
            Err(e) => {
                let _ = reject.call1(&JsValue::NULL, &e);
                return;
            }
        };
        let on_load = {
            let (resolve, reject) = (resolve.clone(), reject.clone());
            Closure::once_into_js(move || {
                let init = WORKER_BINDINGS.with(|g| g.clone().dyn_into::<js_sys::Function>());
                let Ok(init) = init else {
                    let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("its script declared no wasm_bindgen"));
                    return;
                };
                let opts = js_sys::Object::new();
                let _ =
                    js_sys::Reflect::set(&opts, &JsValue::from_str("module_or_path"), &JsValue::from_str(WORKER_WASM));
                // Resolves once the wasm is in; its exports are then properties of `wasm_bindgen`.
                match init.call1(&JsValue::NULL, &opts) {
                    Ok(p) => {
                        let _ = resolve.call1(&JsValue::NULL, &p);
                    }
                    Err(e) => {
                        let _ = reject.call1(&JsValue::NULL, &e);
                    }
                }
            })
        };
        let on_error = {
            let reject = reject.clone();
            Closure::once_into_js(move || {
                let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("its script did not load"));
            })
        };
        let _ = script.set_attribute("src", WORKER_GLUE);
        let _ = js_sys::Reflect::set(&script, &JsValue::from_str("onload"), &on_load);
        let _ = js_sys::Reflect::set(&script, &JsValue::from_str("onerror"), &on_error);
        if let Some(head) = doc.head() {
            let _ = head.append_child(&script);
        }
    })
}

/// A job stepped on the page's thread by the worker's wasm (see the module
/// notes): made from a bincode [`Job`], each `step` answers a bincode
/// [`Reply`] for job `id`, as the worker would post it. Exported by the
/// worker's wasm only (it has the parser and the stepper).
#[cfg(feature = "parser")]
#[wasm_bindgen]
pub struct JobOnPage(JobRun);

#[cfg(feature = "parser")]
#[wasm_bindgen]
impl JobOnPage {
    /// Starts the job `job` encodes.
    #[wasm_bindgen(constructor)]
    pub fn new(job: JsValue) -> JobOnPage {
        JobOnPage(JobRun::new(Bincode::decode::<Job>(job)))
    }

    /// Runs the next slice and answers as the worker would for job `id`.
    pub fn step(&mut self, id: u32) -> JsValue {
        Bincode::encode(match self.0.step() {
            Slice::Progress { done, total, partial } => Reply::Progress { id, done, total, partial },
            Slice::Finished(output) => Reply::Done { id, output },
        })
    }
}
