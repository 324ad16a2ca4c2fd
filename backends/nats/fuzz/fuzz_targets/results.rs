//! Bytes from the network decoded as a message of the result stream, as a coordinator does.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nadoo_flow_nats::fuzzing::results(data));
