/// Generic over its input: the registry needs one concrete type per kind.
#[nadoo_flow::node("generic-fn")]
async fn make<T: serde::de::DeserializeOwned>(input: T) -> Result<u32, String> {
    let _ = input;
    Ok(1)
}

fn main() {
    let _ = make::<u32>;
}
