const NAME: &str = "x";

#[nadoo_flow_core::backend(NAME)]
struct NotLiteral;

fn main() {}
