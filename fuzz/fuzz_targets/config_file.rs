//! The configuration file: `ConfigFile::parse` on any text, and for every file it accepts, the
//! settings resolution that reads it (`Settings::resolve_with` with an empty environment) and
//! `create_backend`, which locates a rejected backend setting in the file's text. The backend
//! is one registered here, with a typed configuration that rejects unknown keys.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use nadoo_flow_core::{
    Backend, Capabilities, ConfigFile, Explicit, NodeContext, NodeResult, NodeSpec, Result,
    Settings, WorkflowContext, async_trait, backend,
};
use serde::{Deserialize, Serialize};

/// A backend that runs nothing; only its configuration matters here.
#[derive(Debug)]
pub struct FuzzBackend;

/// Configuration of [`FuzzBackend`]: nested, typed, unknown keys rejected.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FuzzConfig {
    url: String,
    retries: u32,
    tags: Vec<String>,
    tls: Option<Tls>,
}

/// `[backends.fuzz.tls]`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    ca: String,
    verify: bool,
}

#[async_trait]
impl Backend for FuzzBackend {
    fn name(&self) -> &str {
        "fuzz"
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::NONE
    }
    async fn execute_node(
        &self,
        _: &NodeSpec,
        _: &NodeContext,
        _: &WorkflowContext,
    ) -> Result<NodeResult> {
        Ok(NodeResult::default())
    }
}

#[backend("fuzz")]
fn fuzz_backend(_config: FuzzConfig) -> FuzzBackend {
    FuzzBackend
}

/// A file of this process to hand the accepted text to the resolution, which reads a path.
fn config_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("nadoo-fuzz-{}.toml", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = match ConfigFile::parse("nadoo.toml", text) {
        Ok(file) => file,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    let _ = format!("{file:?}");

    let path = config_path();
    std::fs::write(path, text).expect("writes the configuration file");
    let explicit = Explicit::new().config_path(path);
    let settings = match Settings::resolve_with(explicit, |_| None) {
        Ok(settings) => settings,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    let _ = format!("{settings:?}");
    if let Err(error) = settings.create_backend() {
        let _ = error.to_string();
    }
});
