use serde_json::Value;

/// An output that cannot become JSON.
pub struct Opaque;

#[nadoo_flow::node("output-not-serialize")]
async fn make(input: Value) -> Result<Opaque, String> {
    let _ = input;
    Ok(Opaque)
}

fn main() {}
