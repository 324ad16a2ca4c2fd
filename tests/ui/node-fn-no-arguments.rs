/// Takes no input.
#[nadoo_flow::node("no-arguments")]
async fn make() -> Result<u32, String> {
    Ok(1)
}

fn main() {
    let _ = make;
}
