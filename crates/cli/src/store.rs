//! Which run store a command uses: `--store`, `NADOO_STORE`, `[store] url` in the
//! configuration file, else an SQLite file under the user's state directory.

use std::path::PathBuf;
use std::sync::Arc;

use nadoo_flow::{RunStore, StoreRegistry};

use crate::failure::Failure;

/// The URL that keeps nothing.
pub(crate) const NONE: &str = "none";

/// The store `url` names (as settings resolved it), or the CLI's default; `None` for `none`
/// (or when this build has no SQLite store and nothing else was named).
pub(crate) async fn open(url: Option<&str>) -> Result<Option<Arc<dyn RunStore>>, Failure> {
    let url = match url {
        Some(NONE) => return Ok(None),
        Some(url) => url.to_owned(),
        None => match default_url()? {
            Some(url) => url,
            None => return Ok(None),
        },
    };
    Ok(Some(StoreRegistry::open(&url).await?))
}

/// The store a command that reads runs (`resume`, `runs`) needs: like [`open`], but `none` is
/// refused.
pub(crate) async fn required(url: Option<&str>) -> Result<Arc<dyn RunStore>, Failure> {
    open(url).await?.ok_or_else(|| {
        Failure::Usage(
            "no run store: runs are kept only with a store (--store sqlite://FILE, NADOO_STORE \
             or [store] url)"
                .to_owned(),
        )
    })
}

/// `sqlite://$XDG_STATE_HOME/nadoo-flow/runs.db`, else under `~/.local/state`, when this
/// build links the SQLite store.
fn default_url() -> Result<Option<String>, Failure> {
    if !StoreRegistry::names()?.contains(&"sqlite") {
        return Ok(None);
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|dir| !dir.is_empty())
                .map(|home| PathBuf::from(home).join(".local/state"))
        })
        .ok_or_else(|| {
            Failure::Usage(
                "neither XDG_STATE_HOME nor HOME is set, so there is no default run store; \
                 name one with --store sqlite://FILE, or --store none"
                    .to_owned(),
            )
        })?;
    let file = state.join("nadoo-flow").join("runs.db");
    Ok(Some(format!("sqlite://{}", file.display())))
}
