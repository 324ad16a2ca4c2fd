//! Compile-time behaviour of `#[backend]`: each misuse in `tests/ui` fails with a precise
//! message on the offending token; each form in `tests/ui/pass` compiles.

#[rustversion::attr(
    not(stable(1.95)),
    ignore = "UI expectations are generated with rustc 1.95"
)]
#[cfg_attr(miri, ignore = "compiles crates")]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
