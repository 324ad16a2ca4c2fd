use serde_json::Value;

/// Not async: nodes run asynchronously.
#[nadoo_flow::node("not-async")]
fn make(input: Value) -> Result<Value, String> {
    Ok(input)
}

fn main() {
    let _ = make;
}
