#[nadoo_flow_core::backend("later")]
async fn later(_config: ()) -> () {}

fn main() {}
