//! Jobs on the page's own thread, for a browser that gives the page no Web
//! Worker (`Worker` undefined, or throwing when constructed: some embedded
//! browsers and locked-down profiles do either).
//!
//! gloo-worker's spawner panics when `new Worker(…)` throws, so the page
//! first tries the constructor itself ([`probe`]) and, when it fails, runs
//! each job here instead: the same [`JobRun`] stepper, one slice per macrotask,
//! so a cancel or a newer job is still read between slices and progress is
//! still drawn. Replies reach the page's callback from a task of their own,
//! never from inside `send`, exactly as a worker's messages arrive.
//!
//! A handler text needs the parser, which only the worker's wasm carries
//! (issue 13). Here the page loads that same wasm (`idemlab-worker.js`, the
//! files Trunk writes next to the app) on its own thread once, and calls
//! [`explore_handler`] in it; the worker's `main` sees a window and does not
//! register as a worker.

use super::job::{Job, JobOutput, JobRun, Slice};
use super::{Reply, Request, WORKER_LOADER};
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
    let mut run = match job {
        Job::Explore { text, lanes } => {
            let output = explore_in_worker_wasm(&text, lanes).await;
            if current.get() == id {
                current.set(0);
                on_reply(Reply::Done { id, output: output.map(JobOutput::Handler) });
            }
            return;
        }
        job @ (Job::Permalink(_) | Job::StudySweep { .. } | Job::Fleet { .. } | Job::CompareStrategies { .. }) => {
            JobRun::new(job)
        }
    };
    loop {
        // A zero timeout is a macrotask: the page renders and reads input in between.
        gloo_timers::future::TimeoutFuture::new(0).await;
        if current.get() != id {
            return; // cancelled or replaced meanwhile
        }
        match run.step() {
            Slice::Progress { done, total, partial } => on_reply(Reply::Progress { id, done, total, partial }),
            Slice::Finished(output) => {
                current.set(0);
                on_reply(Reply::Done { id, output });
                return;
            }
        }
    }
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

/// Compiles and explores a handler text with the worker's wasm on the
/// page's thread: [`super::HandlerExplored`] as JSON, or why it could not.
async fn explore_in_worker_wasm(text: &str, lanes: u8) -> Result<String, String> {
    let promise = LOADED.with(|l| l.borrow_mut().get_or_insert_with(load_worker_wasm).clone());
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|e| format!("the page could not load the handler parser ({WORKER_GLUE}): {}", describe(&e)))?;
    let exports = WORKER_BINDINGS.with(JsValue::clone);
    let explore = js_sys::Reflect::get(&exports, &JsValue::from_str("explore_handler"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| format!("{WORKER_GLUE} has no explore_handler"))?;
    let out =
        explore.call2(&JsValue::NULL, &JsValue::from_str(text), &JsValue::from(lanes)).map_err(|e| describe(&e))?;
    out.as_string().ok_or_else(|| "explore_handler answered with no text".into())
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

/// Compiles and explores `text` for `lanes` requests to the end, as the
/// worker's [`JobRun`] does: [`super::HandlerExplored`] as JSON. Exported by
/// the worker's wasm only (it has the parser), for a page without a worker.
#[cfg(feature = "parser")]
#[wasm_bindgen]
pub fn explore_handler(text: String, lanes: u8) -> Result<String, JsValue> {
    let mut run = JobRun::new(Job::Explore { text, lanes });
    // Two slices: compile, then explore; the bound only guards a stepper bug.
    for _ in 0..4 {
        match run.step() {
            Slice::Progress { .. } => {}
            Slice::Finished(Ok(JobOutput::Handler(json))) => return Ok(json),
            Slice::Finished(Ok(_)) => return Err(JsValue::from_str("a handler job answered with another kind")),
            Slice::Finished(Err(e)) => return Err(JsValue::from_str(&e)),
        }
    }
    Err(JsValue::from_str("the handler job did not finish in its slices"))
}
