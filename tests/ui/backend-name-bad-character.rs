#[nadoo_flow_core::backend("my_backend")]
struct Underscore;

fn main() {}
