//! Run stores by URL: the linked table, its errors, and options read from the URL's query.

use nadoo_flow::{Error, StoreRegistry};

#[tokio::test]
async fn stores_open_by_url_and_unknown_or_malformed_ones_are_named() {
    let names = StoreRegistry::names().expect("no duplicate");
    assert!(names.contains(&"memory"), "{names:?}");
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);

    let memory = StoreRegistry::open("memory://").await.expect("opens");
    assert_eq!(memory.url(), "memory://");

    let err = StoreRegistry::open("memroy://").await.unwrap_err();
    assert!(matches!(err, Error::UnknownStore { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("unknown run store `memroy` (did you mean `memory`?); "),
        "{err}"
    );

    let err = StoreRegistry::open("memory://somewhere").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid run store URL `memory://somewhere`: a memory store has no location: write `memory://`"
    );

    let err = StoreRegistry::open("memory://?size=3").await.unwrap_err();
    assert!(matches!(err, Error::InvalidStoreUrl { .. }), "{err}");

    let err = StoreRegistry::open("postgres://bob:hunter2@db/runs")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.starts_with("unknown run store `postgres`"), "{text}");
}
