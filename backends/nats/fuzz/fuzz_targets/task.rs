//! Bytes from the network decoded as a task, as a worker does.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nadoo_flow_nats::fuzzing::task(data));
