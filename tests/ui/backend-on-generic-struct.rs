#[nadoo_flow_core::backend("generic")]
struct Generic<T>(T);

fn main() {}
