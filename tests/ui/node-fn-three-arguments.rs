use serde_json::Value;

/// One argument too many.
#[nadoo_flow::node("three-arguments")]
async fn make(input: Value, config: Value, extra: u32) -> Result<Value, String> {
    let _ = (config, extra);
    Ok(input)
}

fn main() {
    let _ = make;
}
