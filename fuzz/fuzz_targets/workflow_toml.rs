//! The workflow loader: `Workflow::from_toml` on any text, and for every workflow it accepts,
//! `to_toml` and a second load that gives the same `to_def()`.
//! No exception: the loader refuses `nan` and `inf`, which JSON cannot hold, so every
//! workflow it accepts can be written back.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nadoo_flow_core::Workflow;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let workflow = match Workflow::from_toml("fuzz.toml", text) {
        Ok(workflow) => workflow,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    let def = workflow
        .to_def()
        .expect("a workflow read from TOML has a TOML form");
    let written = workflow
        .to_toml()
        .unwrap_or_else(|error| panic!("a workflow read from TOML cannot be written: {error:?}"));
    let reread = Workflow::from_toml("fuzz.toml", &written).unwrap_or_else(|e| {
        panic!("the written form does not load again: {e}\n--- read ---\n{text}\n--- written ---\n{written}")
    });
    let again = reread
        .to_def()
        .expect("a workflow read from TOML has a TOML form");
    assert_eq!(def, again, "--- written ---\n{written}");
});
