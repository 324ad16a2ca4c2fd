//! `nadoo.toml`: the default backend, engine options and each backend's settings.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::diagnostics::SettingSource;
use crate::error::{Error, Result};
use crate::scheduler::EngineOptions;

/// A `nadoo.toml`:
///
/// ```toml
/// [registry]
/// default = "native"
///
/// [execution]            # engine options every backend honours
/// max_workers = 4
/// timeout = "30s"
/// max_retries = 0
/// debug = false
///
/// [backends.nats]        # each backend's own settings, typed, unknown keys rejected
/// url = "nats://127.0.0.1:4222"
/// ```
///
/// ```
/// use nadoo_flow_core::ConfigFile;
///
/// let file = ConfigFile::parse("nadoo.toml", "[registry]\ndefault = \"native\"\n")?;
/// assert_eq!(file.registry.default.as_deref(), Some("native"));
///
/// let err = ConfigFile::parse("nadoo.toml", "[execution]\nmax_workers = 0\n").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "nadoo.toml:2: key `execution.max_workers`: invalid value: integer `0`, expected a nonzero usize"
/// );
/// # Ok::<(), nadoo_flow_core::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ConfigFile {
    /// `[registry]`.
    pub registry: RegistrySection,
    /// `[execution]`: engine options every backend honours.
    pub execution: EngineOptions,
    /// `[backends.<name>]`: each backend's own settings.
    pub backends: BTreeMap<String, toml::Table>,
    /// `[store]`: where runs are kept.
    pub store: StoreSection,
    /// The file this was read from, and its text, to locate errors found later.
    #[serde(skip)]
    origin: Option<(String, String)>,
}

/// `[registry]` of a `nadoo.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct RegistrySection {
    /// The default backend's name.
    pub default: Option<String>,
}

/// `[store]` of a `nadoo.toml`. Its `Debug` hides a password in the URL.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct StoreSection {
    /// The run store's URL (`sqlite:///var/lib/nadoo/runs.db`), or `none`.
    pub url: Option<String>,
}

/// Shows the file's name, not its text, and backends' settings with their secrets hidden.
impl std::fmt::Debug for ConfigFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backends: BTreeMap<&String, serde_json::Value> = self
            .backends
            .iter()
            .map(|(name, table)| {
                let value = serde_json::to_value(table).unwrap_or_default();
                (name, crate::secrets::redact_value(&value))
            })
            .collect();
        f.debug_struct("ConfigFile")
            .field("registry", &self.registry)
            .field("execution", &self.execution)
            .field("backends", &backends)
            .field("store", &self.store)
            .field("file", &self.origin.as_ref().map(|(file, _)| file))
            .finish()
    }
}

impl std::fmt::Debug for StoreSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreSection")
            .field("url", &self.url.as_deref().map(crate::secrets::redact))
            .finish()
    }
}

impl ConfigFile {
    /// Reads a `nadoo.toml` from `text`; `file` names it in errors.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] naming the file, line and key.
    pub fn parse(file: &str, text: &str) -> Result<Self> {
        let mut parsed: ConfigFile = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |span| span.start);
            let line = line_of(text, offset);
            Error::InvalidSetting {
                origin: SettingSource::File {
                    file: file.to_owned(),
                    line,
                },
                key: dotted_key(text, offset, e.message()),
                message: e.message().trim().to_owned(),
            }
        })?;
        parsed.origin = Some((file.to_owned(), text.to_owned()));
        Ok(parsed)
    }

    /// Reads the `nadoo.toml` at `path`.
    ///
    /// # Errors
    ///
    /// [`Error::ReadFile`], and as [`parse`](Self::parse).
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::ReadFile {
            file: path.display().to_string(),
            source,
        })?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// Where `[backends.<backend>]` sets `key` (its first segment), to name it in errors.
    pub(crate) fn locate_backend_key(&self, backend: &str, key: Option<&str>) -> SettingSource {
        let Some((file, text)) = &self.origin else {
            return SettingSource::File {
                file: "nadoo.toml".to_owned(),
                line: 1,
            };
        };
        let header = format!("[backends.{backend}]");
        let start = text.find(&header).unwrap_or(0);
        let section = &text[start..];
        // Past the first character (the header's `[`, or whatever the text starts with).
        let first = section.chars().next().map_or(0, char::len_utf8);
        let end = section[first..]
            .find("\n[")
            .map_or(section.len(), |i| i + first);
        let section = &section[..end];
        let offset = key
            .and_then(|k| k.split('.').next())
            .and_then(|k| {
                section
                    .lines()
                    .scan(0, |at, line| {
                        let here = *at;
                        *at += line.len() + 1;
                        Some((here, line))
                    })
                    .find(|(_, line)| {
                        line.trim_start()
                            .strip_prefix(k)
                            .is_some_and(|rest| rest.trim_start().starts_with('='))
                    })
                    .map(|(at, _)| at)
            })
            .unwrap_or(0);
        SettingSource::File {
            file: file.clone(),
            line: line_of(text, start + offset),
        }
    }
}

/// The line (from 1) of byte `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The dotted key at `offset`: the section header above it plus the key on its line.
fn dotted_key(text: &str, offset: usize, message: &str) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[line_start..line_end];
    let key = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
        .map(str::to_owned)
        .or_else(|| {
            let (key, _) = line.split_once('=')?;
            Some(key.trim().trim_matches('"').to_owned())
        })?;
    if line.trim_start().starts_with('[') {
        return None;
    }
    let section = text[..line_start].lines().rev().find_map(|l| {
        let l = l.trim();
        (l.starts_with('[') && l.ends_with(']')).then(|| l.trim_matches(['[', ']']).to_owned())
    });
    Some(match section {
        Some(section) => format!("{section}.{key}"),
        None => key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_a_backend_key_when_the_text_starts_with_a_multibyte_character() {
        // A byte order mark, and the backend's settings as dotted keys, without a
        // `[backends.fuzz]` header to find.
        let text = "\u{feff}backends.fuzz.bogus = 1\n";
        let file = ConfigFile::parse("nadoo.toml", text).expect("parses");
        assert_eq!(
            file.locate_backend_key("fuzz", Some("bogus")),
            SettingSource::File {
                file: "nadoo.toml".to_owned(),
                line: 1,
            }
        );
        assert_eq!(
            file.locate_backend_key("fuzz", None),
            SettingSource::File {
                file: "nadoo.toml".to_owned(),
                line: 1,
            }
        );
    }

    #[test]
    fn locates_a_backend_key_in_its_section() {
        let text =
            "[registry]\ndefault = \"x\"\n\n[backends.x]\nurl = 1\nbogus = 2\n\n[execution]\n";
        let file = ConfigFile::parse("nadoo.toml", text).expect("parses");
        assert_eq!(
            file.locate_backend_key("x", Some("bogus.deep")),
            SettingSource::File {
                file: "nadoo.toml".to_owned(),
                line: 6,
            }
        );
    }
}
