//! `nadoo-flow worker`: serve a distributed backend's node executions until Ctrl-C.

use std::path::PathBuf;

use nadoo_flow::{CancellationToken, Explicit, Settings};

use crate::failure::Failure;

pub(crate) fn run(backend: Option<String>, config: Option<PathBuf>) -> Result<(), Failure> {
    let mut explicit = Explicit::new();
    if let Some(backend) = backend {
        explicit = explicit.backend(backend);
    }
    if let Some(config) = config {
        explicit = explicit.config_path(config);
    }
    let settings = Settings::resolve(explicit)?;
    let backend = settings.create_backend()?;
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| Failure::Usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let on_signal = shutdown.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                on_signal.cancel();
            }
        });
        backend.run_worker(shutdown).await
    })?;
    Ok(())
}
