#[nadoo_flow_core::backend("trait")]
trait NotABackend {}

fn main() {}
