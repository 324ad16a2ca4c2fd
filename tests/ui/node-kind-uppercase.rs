#[nadoo_flow_core::node("Template")]
struct Upper;

fn main() {}
