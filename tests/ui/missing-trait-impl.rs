/// Implements neither Backend nor BackendType.
#[nadoo_flow_core::backend("incomplete")]
#[derive(Debug)]
struct Incomplete;

fn main() {}
