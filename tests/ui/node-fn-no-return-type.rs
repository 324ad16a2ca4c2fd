use serde_json::Value;

/// Returns nothing at all.
#[nadoo_flow::node("no-return-type")]
async fn make(input: Value) {
    let _ = input;
}

fn main() {
    let _ = make;
}
