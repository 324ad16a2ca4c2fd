use serde_json::Value;

pub struct Maker;

impl Maker {
    /// A method, not a free function.
    #[nadoo_flow::node("self-receiver")]
    async fn make(&self, input: Value) -> Result<Value, String> {
        Ok(input)
    }
}

fn main() {
    let _ = Maker::make;
}
