#[nadoo_flow_core::backend("twice", crate = nadoo_flow_core, crate = nadoo_flow_core)]
struct Twice;

fn main() {}
