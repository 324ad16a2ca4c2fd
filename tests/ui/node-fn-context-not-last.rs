use nadoo_flow::NodeContext;
use serde_json::Value;

/// The context goes last.
#[nadoo_flow::node("context-not-last")]
async fn make(input: Value, ctx: &NodeContext, config: Value) -> Result<Value, String> {
    let _ = (ctx, config);
    Ok(input)
}

fn main() {
    let _ = make;
}
