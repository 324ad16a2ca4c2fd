//! Exists only because Cargo requires a build script for the `links` key,
//! which keeps two incompatible copies of this crate out of one build.
fn main() {}
