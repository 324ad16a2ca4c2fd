/// A store with a name that is not a URL scheme.
#[nadoo_flow_core::store("SQLite")]
#[derive(Debug)]
struct Shouting;

fn main() {}
