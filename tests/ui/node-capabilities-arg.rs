#[nadoo_flow_core::node("caps", capabilities = nadoo_flow_core::Capabilities::NONE)]
struct Caps;

fn main() {}
