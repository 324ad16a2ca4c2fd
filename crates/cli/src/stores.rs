//! `nadoo-flow stores`: the run stores this binary links, by URL scheme.

use std::io::{self, Write};

use nadoo_flow::StoreRegistry;

use crate::Failure;

pub(crate) fn run(json: bool) -> Result<(), Failure> {
    let stores = StoreRegistry::list()?;
    let mut out = io::stdout().lock();
    let written = if json {
        serde_json::to_writer_pretty(&mut out, stores)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        let width = stores.iter().map(|s| s.name().len()).max().unwrap_or(0) + "://".len();
        stores.iter().try_for_each(|s| {
            let scheme = format!("{}://", s.name());
            writeln!(
                out,
                "{scheme:<width$}  {} {}  {}",
                s.site().crate_name,
                s.site().crate_version,
                s.description()
            )
        })
    };
    written.map_err(|e| Failure::Usage(format!("cannot write to standard output: {e}")))
}
