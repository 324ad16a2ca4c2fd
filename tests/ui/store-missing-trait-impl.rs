/// Implements neither RunStore nor StoreType.
#[nadoo_flow_core::store("incomplete")]
#[derive(Debug)]
struct Incomplete;

fn main() {}
