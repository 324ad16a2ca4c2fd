//! The mock backend registered in `mock_backend.rs` lives only in that test binary.

use nadoo_flow::{BackendRegistry, Error};

#[test]
fn mock_of_another_test_binary_is_not_registered_here() {
    let available = BackendRegistry::list_available().expect("no duplicates");
    assert!(!available.contains(&"mock"), "{available:?}");
    assert!(!BackendRegistry::is_available("mock").expect("no duplicates"));
    assert!(matches!(
        BackendRegistry::create("mock", ()),
        Err(Error::UnknownBackend { .. })
    ));
}
