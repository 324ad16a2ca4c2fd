use serde_json::Value;

/// Returns its output without a `Result`.
#[nadoo_flow::node("returns-non-result")]
async fn make(input: Value) -> Value {
    input
}

fn main() {
    let _ = make;
}
