//! What every request handler shares.

use std::sync::Arc;
use std::time::Duration;

use nadoo_flow_core::{Backend, RunStore};

use crate::auth::Token;

/// The store the dashboard reads, the backend it resumes runs on, and its settings.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) store: Arc<dyn RunStore>,
    pub(crate) backend: Option<Arc<dyn Backend>>,
    pub(crate) token: Option<Token>,
    /// How often a live event stream reads the store.
    pub(crate) poll: Duration,
}
