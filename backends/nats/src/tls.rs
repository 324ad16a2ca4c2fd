//! TLS of the connection to NATS: which certificates the client trusts and presents.

use async_nats::ConnectOptions;
use nadoo_flow_core::Result;

use crate::config::NatsConfig;

/// Adds the TLS settings of `config` to `options`.
pub(crate) fn configure(
    mut options: ConnectOptions,
    config: &NatsConfig,
) -> Result<ConnectOptions> {
    options = options.require_tls(config.tls_required);
    if let Some(ca) = &config.tls_ca_file {
        options = options.add_root_certificates(ca.clone());
    }
    Ok(options)
}
