//! Where things are in a workflow file's text: line and column of an offset, the node an
//! offset falls in, where a key of a node is written.
//!
//! This work reads the text again, so it is only done for a file that has problems.

use std::ops::Range;

use serde::Deserialize;

use super::FileProblem;
use crate::error::Error;

/// Only where each node is in the text; every other key is ignored.
#[derive(Deserialize)]
struct NodeSpans {
    #[serde(default)]
    nodes: Vec<toml::Spanned<toml::Table>>,
}

/// The text of a workflow file and what is known of where its nodes are.
pub(super) struct Source<'a> {
    file: &'a str,
    text: &'a str,
    nodes: Vec<Range<usize>>,
    ids: Vec<Option<String>>,
}

impl<'a> Source<'a> {
    pub(super) fn new(file: &'a str, text: &'a str) -> Self {
        let spans = toml::from_str::<NodeSpans>(text)
            .map(|spans| spans.nodes)
            .unwrap_or_default();
        // An entry runs from where it starts to where the next one starts: the parser's span
        // of an `[[nodes]]` entry may cover only its header.
        let starts: Vec<usize> = spans.iter().map(|n| n.span().start).collect();
        let nodes = starts
            .iter()
            .enumerate()
            .map(|(i, &start)| start..starts.get(i + 1).copied().unwrap_or(text.len()))
            .collect();
        let ids = spans
            .iter()
            .map(|n| n.get_ref().get("id")?.as_str().map(str::to_owned))
            .collect();
        Source {
            file,
            text,
            nodes,
            ids,
        }
    }

    /// Line and column (from 1) of byte `offset`.
    pub(super) fn line_col(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rfind('\n')
            .map_or(before.len(), |nl| before.len() - nl - 1)
            + 1;
        (line, column)
    }

    /// The `id` of the node whose `[[nodes]]` entry holds byte `offset`.
    pub(super) fn node_id_at(&self, offset: usize) -> Option<&str> {
        let index = self.nodes.iter().position(|span| span.contains(&offset))?;
        self.ids.get(index)?.as_deref()
    }

    /// Where `key = ...` is written in node `node` (the entry itself when not found).
    pub(super) fn key_offset(&self, node: usize, key: Option<&str>) -> usize {
        let Some(span) = self.nodes.get(node) else {
            return 0;
        };
        // An empty key (`config."" = 1`) cannot be searched for: the entry stands for it.
        let Some(key) = key.filter(|key| !key.is_empty()) else {
            return span.start;
        };
        let body = &self.text[span.clone()];
        let mut from = 0;
        while let Some(found) = body[from..].find(key) {
            let at = from + found;
            let before_ok = at == 0
                || !body[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
            let after = body[at + key.len()..].trim_start_matches([' ', '\t', '"']);
            if before_ok && after.starts_with('=') {
                return span.start + at;
            }
            from = at + key.len();
        }
        span.start
    }

    pub(super) fn problem(
        &self,
        offset: usize,
        node: Option<&str>,
        key: Option<&str>,
        message: impl Into<String>,
    ) -> FileProblem {
        let (line, column) = self.line_col(offset);
        FileProblem {
            line,
            column,
            node: node.map(str::to_owned),
            key: key.map(str::to_owned),
            message: message.into(),
        }
    }

    pub(super) fn error(&self, problems: Vec<FileProblem>) -> Error {
        Error::WorkflowFile {
            file: self.file.to_owned(),
            problems,
        }
    }
}

/// The field named by serde's "unknown field `x`" message.
pub(super) fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest[..rest.find('`')?].to_owned())
}

/// The bare key assigned on the line that holds `offset`, as in `retries = "x"`.
pub(super) fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let (key, _) = text[start..end].split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_owned())
}
