use serde_json::Value;

/// An error that is not an error.
pub struct Oops;

#[nadoo_flow::node("error-not-boxable")]
async fn make(input: Value) -> Result<Value, Oops> {
    Ok(input)
}

fn main() {}
