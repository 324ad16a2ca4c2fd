#[nadoo_flow_core::node("generic")]
struct Generic<T>(T);

fn main() {}
