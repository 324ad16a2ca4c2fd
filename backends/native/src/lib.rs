#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod backend;
mod config;

pub use crate::backend::NativeBackend;
pub use crate::config::NativeConfig;
