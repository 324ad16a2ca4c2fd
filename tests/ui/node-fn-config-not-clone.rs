use serde::Deserialize;
use serde_json::Value;

/// A config taken by value, which is not `Clone`.
#[derive(Deserialize)]
pub struct Settings {
    pub times: u32,
}

#[nadoo_flow::node("config-not-clone")]
async fn make(input: Value, config: Settings) -> Result<Value, String> {
    let _ = config.times;
    Ok(input)
}

fn main() {}
