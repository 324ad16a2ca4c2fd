#[nadoo_flow_core::backend("keyed", priority = 1)]
struct Keyed;

fn main() {}
