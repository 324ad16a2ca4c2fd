//! `nadoo-flow serve`: the web dashboard of the runs a store keeps.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use nadoo_flow_dashboard::Dashboard;

use crate::failure::Failure;
use crate::run::{runtime, settings};
use crate::store;

/// The environment variable `--token` may come from, so that it stays out of process lists.
pub(crate) const TOKEN_VAR: &str = "NADOO_DASHBOARD_TOKEN";

/// A token given on the command line; its `Debug` hides it.
#[derive(Clone)]
pub(crate) struct Token(String);

impl std::str::FromStr for Token {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self(text.to_owned()))
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(nadoo_flow::REDACTED)
    }
}

/// The arguments of `serve`.
#[derive(Debug)]
pub(crate) struct Args {
    pub(crate) store: Option<String>,
    pub(crate) addr: String,
    pub(crate) token: Option<Token>,
    pub(crate) backend: Option<String>,
    pub(crate) config: Option<PathBuf>,
}

pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let addr: SocketAddr = args.addr.parse().map_err(|_| {
        Failure::Usage(format!(
            "--addr `{}` is not an address and port, such as 127.0.0.1:7777",
            args.addr
        ))
    })?;
    let token = args.token.map(|token| token.0).or_else(|| {
        std::env::var(TOKEN_VAR)
            .ok()
            .filter(|token| !token.is_empty())
    });
    let settings = settings(
        args.backend.as_ref(),
        args.config.as_ref(),
        args.store.as_ref(),
    )?;
    // Showing runs needs no backend; resuming them does. A backend that cannot be made here
    // (not linked, misconfigured) leaves the dashboard read-only rather than down.
    let backend = match settings.create_backend() {
        Ok(backend) => Some(Arc::from(backend)),
        Err(error) => {
            eprintln!("warning: runs cannot be resumed from this dashboard: {error}");
            None
        }
    };
    runtime()?.block_on(async {
        let store = store::required(settings.store.as_deref()).await?;
        let store_url = store.url().to_owned();
        let mut dashboard = Dashboard::new(store);
        if let Some(backend) = backend {
            dashboard = dashboard.backend(backend);
        }
        if let Some(token) = token {
            dashboard = dashboard.token(token);
        }
        dashboard.check_addr(addr).map_err(usage)?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Failure::Usage(format!("cannot listen on {addr}: {e}")))?;
        let bound = listener
            .local_addr()
            .map_err(|e| Failure::Usage(format!("cannot listen on {addr}: {e}")))?;
        eprintln!("dashboard of {store_url} on http://{bound}/ (Ctrl-C stops it)");
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        dashboard.serve_on(listener, shutdown).await.map_err(usage)
    })
}

fn usage(error: nadoo_flow_dashboard::DashboardError) -> Failure {
    Failure::Usage(error.to_string())
}
