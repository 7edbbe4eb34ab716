//! The web console `serve` offers on the API's own port (beside the API),
//! and the Kubernetes-style probes.
//!
//! | path | what |
//! |---|---|
//! | `GET /` | a browser's visit: 303 to `/console` (API clients `POST /`, unaffected) |
//! | `GET /console` | the state machines |
//! | `GET /console/state-machines/{name}` | one machine: its graph with the live overlay, its executions, a start form |
//! | `GET /console/assets/{file}` | the page's script, style sheet and vendored layout library, embedded in the binary |
//! | `GET /console/api/…` | the JSON the page reads ([`routes`]) |
//! | `GET /healthz` | liveness: 200 while the process serves |
//! | `GET /readyz` | readiness: 200 when definitions are loaded and admission is not saturated, else 503 ([`health`]) |
//!
//! Anchors: the Step Functions console's graph and execution views
//! (AWS guide `concepts-view-execution-details.html`), LocalStack's web app.
//!
//! **Graph layout.** The page lays the graph out with
//! [dagre](https://github.com/dagrejs/dagre) (`@dagrejs/dagre` 3.1.3 from the
//! npm registry, MIT, vendored unmodified under `assets/vendor/` with its
//! licence and a refresh script): a well-kept Sugiyama-style layered layout
//! for directed graphs with compound (cluster) nodes, which is what a state
//! machine with Parallel branches and Map iterators needs; 49 KB minified
//! against elkjs's 1.5 MB, and the layout then runs in the browser so the
//! server only serves the graph's structure ([`graph`]). A Rust layout
//! crate would have meant drawing SVG server-side without clusters (the
//! Rust layered-layout crates found place plain nodes only). The page draws
//! plain SVG (`<g class="node" data-state=…>`, `<g class="edge" data-from=…
//! data-to=… data-kind=…>`, `<g class="cluster">`), so tests and users can
//! read it from the DOM.
//!
//! **Live overlay** ([`live`]): per state entries/s, failures by error name,
//! p50/p99 duration; per machine started/succeeded/failed/throttled per
//! second and execution p99; the admission buffer depth. The page asks
//! about once a second.
//!
//! **Executions**: the retained ones (`StartExecution`, the API's bounded
//! record; under load a sample of at most
//! [`history::MAX_NEW_TRACES_PER_SECOND`] a second), newest first and
//! filterable by status, each with the history
//! events the [`history::Recorder`] kept (numbered as AWS history events),
//! its path through the graph coloured by outcome and, per state, input,
//! output, error, cause and timing ([`execution`]). An execution waiting on a
//! Task Token shows it with buttons that answer it; the page's actions
//! (StartExecution, DescribeExecution, SendTaskSuccess, SendTaskFailure)
//! are the API's own operations, called by the page with `POST /`.
//!
//! With `--verify-sigv4` the console is refused like any unsigned request
//! (it can show execution data); the probes stay open.

mod assets;
pub mod execution;
mod graph;
pub mod health;
pub mod history;
mod live;
pub mod routes;

use std::sync::Arc;

use axum::response::Redirect;
use axum::Router;

use crate::api::Service;
use crate::start::Starter;

pub use history::Recorder;

/// The path of the console's first page.
pub const CONSOLE_PATH: &str = "/console";

/// The console's state inside a [`Service`]: the recorder of the retained
/// executions' events.
#[derive(Clone, Debug)]
pub struct Console {
    recorder: Arc<Recorder>,
}

impl Console {
    /// Puts a [`Recorder`] of the executions `starter` retains (its
    /// store's records) in front of its engine's observer, and returns the
    /// starter to use and the console.
    pub fn attach(starter: Starter) -> (Starter, Console) {
        let recorder = Arc::new(Recorder::new(
            starter.engine().observer().cloned(),
            Arc::clone(starter.store()),
        ));
        let starter = starter.with_observer(recorder.clone());
        (starter, Console { recorder })
    }

    /// The recorder of the retained executions' events.
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }
}

/// `GET /`: a browser's visit, sent on to the console (303 See Other).
pub async fn redirect() -> Redirect {
    Redirect::to(CONSOLE_PATH)
}

/// The console's pages, assets and JSON (`/console…`).
pub fn router(service: Service) -> Router {
    routes::router(service)
}

/// `GET /healthz` and `GET /readyz`.
pub fn probes(service: Service) -> Router {
    health::router(service)
}

#[cfg(test)]
mod tests;
