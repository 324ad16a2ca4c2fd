#[nadoo_flow_core::store("function")]
fn open() {}

fn main() {}
