/// One store type per name, not one per type parameter.
#[nadoo_flow_core::store("generic")]
#[derive(Debug)]
struct Generic<T>(T);

fn main() {}
