//! The web dashboard of nadoo-flow runs: `nadoo-flow serve`.
//!
//! It serves, over any [`RunStore`], a page that lists the stored runs and shows one run as
//! its workflow graph (each node coloured by status, loops and skipped branches visible), a
//! time line of its node executions, live progress while it runs, and, for a run that waits
//! for input, the node's prompt with a form that resumes it. Behind the page is a JSON API:
//!
//! | request | answer |
//! |---|---|
//! | `GET /api/runs?status=&workflow=&offset=&limit=` | `{runs: [..], offset, limit, more}`, newest first |
//! | `GET /api/runs/{id}` | the run: `run`, `input`, `graph` (nodes with `column`/`row`, edges), `nodes` (status, executions, output, error), `executions` (time line), `waiting` |
//! | `GET /api/runs/{id}/events?since=N` | server-sent events: `update` `{status, error, updated, executions}` as the run advances, then `end` |
//! | `POST /api/runs/{id}/resume` `{"values": {..}}` | `202 {run_id, status}` once the interrupted run is under way |
//!
//! Errors are JSON, `{"error": {"code", "message"}}`: `404` for an unknown run, `400` for a
//! malformed query or body (naming the field), `409` for a run that cannot be resumed,
//! `401` without the token.
//!
//! The dashboard binds loopback by default. A [`token`](Dashboard::token) is required to bind
//! any other address ([`Dashboard::check_addr`]); with one, every request needs
//! `Authorization: Bearer TOKEN`, or the cookie the page's sign-in form sets. Without one,
//! only requests addressed to a loopback host name are answered.
//!
//! ```
//! use std::sync::Arc;
//! use nadoo_flow_core::MemoryStore;
//! use nadoo_flow_dashboard::Dashboard;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let dashboard = Dashboard::new(Arc::new(MemoryStore::new()));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! let addr = listener.local_addr().unwrap();
//! let server = tokio::spawn(dashboard.serve_on(listener, std::future::pending()));
//!
//! // An HTTP/1.1 request by hand: the API answers JSON.
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
//! stream
//!     .write_all(b"GET /api/runs HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
//!     .await
//!     .unwrap();
//! let mut answer = String::new();
//! stream.read_to_string(&mut answer).await.unwrap();
//! assert!(answer.starts_with("HTTP/1.1 200"));
//! assert!(answer.contains(r#""runs":[]"#));
//! server.abort();
//! # });
//! ```

mod api;
mod assets;
mod auth;
mod error;
mod graph;
mod live;
mod state;
mod view;

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use nadoo_flow_core::{Backend, RunStore};

pub use crate::error::DashboardError;

use crate::auth::Token;
use crate::state::AppState;

/// The address `nadoo-flow serve` binds when none is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:7777";

/// How often a live page reads the store by default.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(250);

/// A dashboard over a run store: build it, then [`serve`](Self::serve) it, or mount its
/// [`router`](Self::router) in an axum application of your own.
#[derive(Clone)]
pub struct Dashboard {
    state: AppState,
}

impl Dashboard {
    /// A dashboard of the runs `store` keeps, without a token, that cannot resume runs (give
    /// it a [`backend`](Self::backend) for that).
    pub fn new(store: Arc<dyn RunStore>) -> Self {
        Self {
            state: AppState {
                store,
                backend: None,
                token: None,
                poll: DEFAULT_POLL_INTERVAL,
            },
        }
    }

    /// The backend interrupted runs are resumed on (`POST /api/runs/{id}/resume`). Without
    /// one, resuming answers `409`.
    #[must_use]
    pub fn backend(mut self, backend: Arc<dyn Backend>) -> Self {
        self.state.backend = Some(backend);
        self
    }

    /// Requires `token` of every request: an `Authorization: Bearer` header, or the cookie
    /// the page's sign-in form sets.
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.state.token = Some(Token::new(token.into()));
        self
    }

    /// How often a live event stream reads the store (default
    /// [`DEFAULT_POLL_INTERVAL`]).
    #[must_use]
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.state.poll = interval;
        self
    }

    /// Whether the dashboard may serve on `addr`: a loopback address always; any other only
    /// with a non-empty token.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use nadoo_flow_core::MemoryStore;
    /// use nadoo_flow_dashboard::{Dashboard, DashboardError};
    ///
    /// let dashboard = Dashboard::new(Arc::new(MemoryStore::new()));
    /// assert!(dashboard.check_addr("127.0.0.1:7777".parse().unwrap()).is_ok());
    /// let public = dashboard.check_addr("0.0.0.0:7777".parse().unwrap());
    /// assert!(matches!(public, Err(DashboardError::PublicWithoutToken { .. })));
    /// assert!(dashboard.token("s3cret").check_addr("0.0.0.0:7777".parse().unwrap()).is_ok());
    /// ```
    ///
    /// # Errors
    ///
    /// [`DashboardError::PublicWithoutToken`], [`DashboardError::EmptyToken`].
    pub fn check_addr(&self, addr: SocketAddr) -> Result<(), DashboardError> {
        match &self.state.token {
            Some(token) if token.is_empty() => Err(DashboardError::EmptyToken),
            Some(_) => Ok(()),
            None if addr.ip().is_loopback() => Ok(()),
            None => Err(DashboardError::PublicWithoutToken { addr }),
        }
    }

    /// The routes: the page, its assets, and the API.
    pub fn router(self) -> Router {
        let guarded = Router::new()
            .route("/", get(assets::index))
            .route("/api/runs", get(api::list_runs))
            .route("/api/runs/{id}", get(api::get_run))
            .route("/api/runs/{id}/events", get(live::events))
            .route("/api/runs/{id}/resume", post(api::resume))
            .route_layer(axum::middleware::from_fn_with_state(
                self.state.clone(),
                auth::guard,
            ));
        Router::new()
            .merge(guarded)
            .route("/login", post(auth::sign_in))
            .route("/app.js", get(assets::script))
            .route("/app.css", get(assets::style))
            .route("/favicon.svg", get(assets::icon))
            .fallback(api::no_such_page)
            .layer(axum::middleware::map_response(security_headers))
            .with_state(self.state)
    }

    /// Binds `addr` (after [`check_addr`](Self::check_addr)) and serves until `shutdown`
    /// completes.
    ///
    /// # Errors
    ///
    /// As [`check_addr`](Self::check_addr); [`DashboardError::Io`] when the address cannot
    /// be bound.
    pub async fn serve(
        self,
        addr: SocketAddr,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), DashboardError> {
        self.check_addr(addr)?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| DashboardError::Io {
                addr: addr.to_string(),
                source,
            })?;
        self.serve_on(listener, shutdown).await
    }

    /// Serves on a bound listener until `shutdown` completes. The address check is the
    /// caller's: see [`check_addr`](Self::check_addr).
    ///
    /// # Errors
    ///
    /// [`DashboardError::Io`] when serving fails.
    pub async fn serve_on(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), DashboardError> {
        let addr = listener
            .local_addr()
            .map_or_else(|_| "(unknown)".to_owned(), |a| a.to_string());
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|source| DashboardError::Io { addr, source })
    }
}

impl fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dashboard")
            .field("store", &self.state.store.url())
            .field("backend", &self.state.backend.as_ref().map(|b| b.name()))
            .field("token", &self.state.token)
            .field("poll", &self.state.poll)
            .finish()
    }
}

/// Headers on every answer: no sniffing, no framing by other sites, no referrer, and a
/// content policy that allows only the dashboard's own files.
async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::HeaderValue;
    let headers = response.headers_mut();
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response
}
