/// Implements neither Node nor NodeKind.
#[nadoo_flow_core::node("incomplete")]
#[derive(Debug)]
struct Incomplete;

fn main() {}
