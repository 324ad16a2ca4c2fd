#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod answers;
mod backend;
mod cancel;
mod client;
mod config;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod publish;
mod results;
mod serve;
mod store;
mod task;
#[cfg(feature = "testing")]
pub mod testing;
mod tls;
pub mod worker;

pub use crate::backend::NatsBackend;
pub use crate::config::NatsConfig;
pub use crate::store::{NatsStore, NatsStoreConfig};
