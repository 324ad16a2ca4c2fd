//! The conformance suite on `native`.

use nadoo_flow_native as _;

fn main() -> std::process::ExitCode {
    nadoo_flow_conformance::run("native")
}
