#[nadoo_flow_core::backend("two")]
fn two(_config: (), _extra: u32) -> () {}

fn main() {}
