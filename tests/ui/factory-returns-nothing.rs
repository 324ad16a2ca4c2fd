#[nadoo_flow_core::backend("nothing")]
fn nothing(_config: ()) {}

fn main() {}
