#[nadoo_flow_core::backend]
struct Unnamed;

fn main() {}
