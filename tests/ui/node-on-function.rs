#[nadoo_flow_core::node("function")]
fn make() {}

fn main() {}
