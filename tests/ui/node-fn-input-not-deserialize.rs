/// An input that cannot be read from JSON.
pub struct Opaque;

#[nadoo_flow::node("input-not-deserialize")]
async fn make(input: Opaque) -> Result<u32, String> {
    let _ = input;
    Ok(1)
}

fn main() {}
