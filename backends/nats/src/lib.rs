#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod backend;
mod client;
mod config;
mod task;
pub mod worker;

pub use crate::backend::NatsBackend;
pub use crate::config::NatsConfig;
