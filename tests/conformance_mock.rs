//! The conformance suite on a recording mock registered by annotation in this test binary.

use nadoo_flow::backend;
use nadoo_flow_conformance::{RecordingBackend, RecordingConfig};

/// Records every node it runs.
#[backend("mock", capabilities = RecordingBackend::CAPABILITIES)]
fn mock(config: RecordingConfig) -> RecordingBackend {
    RecordingBackend::new("mock", config)
}

fn main() -> std::process::ExitCode {
    nadoo_flow_conformance::run("mock")
}
