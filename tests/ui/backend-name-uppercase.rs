#[nadoo_flow_core::backend("MyBackend")]
struct Upper;

fn main() {}
