#[nadoo_flow_core::backend("caps", capabilities = nadoo_flow_core::Capabilities::NONE)]
struct Caps;

fn main() {}
