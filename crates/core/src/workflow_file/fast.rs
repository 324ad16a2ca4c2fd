//! A one-pass reader for the shapes workflow files are written in, on `toml_parser`.
//!
//! The `toml` crate lexes the whole text into a vector of tokens, turns it into a vector of
//! events, builds a document tree of it and only then deserializes: for a 900 KB file that is
//! over 50 MB at its peak. This reader lexes a few thousand tokens at a time, cut where a line
//! starts outside any bracket, and puts every value straight where it belongs.
//!
//! It reads `name`, `max_steps`, `input` (as a key or an `[input]` table) and `[[nodes]]`
//! entries whose keys are written plainly (no dotted keys, no other table headers). For
//! anything else, and for any error, it gives up (`None`) and the caller reads the text with
//! the `toml` crate, whose errors are the ones reported. So it accepts only what the `toml`
//! crate accepts, and gives the same [`WorkflowDef`].

use std::borrow::Cow;
use std::time::Duration;

use serde_json::{Map, Number, Value};
use toml_parser::decoder::ScalarKind;
use toml_parser::lexer::{Token, TokenKind};
use toml_parser::parser::{Event, EventKind, RecursionGuard, ValidateWhitespace};
use toml_parser::{ErrorSink, ParseError, Source};

use super::{NodeDef, WorkflowDef};

/// Tokens lexed before the reader looks for a place to cut.
const CHUNK_TOKENS: usize = 4096;

/// How deep arrays and inline tables may nest; the `toml` crate's limit.
const MAX_DEPTH: u32 = 80;

/// The definition in `text`, or `None` when this reader does not take the text (see the
/// module's documentation).
pub(super) fn read(text: &str) -> Option<WorkflowDef> {
    read_with(text, Some)
}

/// As [`read`], giving each `[[nodes]]` entry to `closed` as soon as it is read whole, in file
/// order; the entry `closed` returns, if any, stays in the definition. A caller that makes
/// each node there never holds every entry at once. When the reader gives up, entries
/// already given stay given.
pub(super) fn read_with(
    text: &str,
    closed: impl FnMut(NodeDef) -> Option<NodeDef>,
) -> Option<WorkflowDef> {
    let source = Source::new(text);
    let mut reader = Reader {
        closed,
        source,
        def: WorkflowDef::default(),
        table: Table::Root,
        root_keys: 0,
        node_keys: 0,
        events: Vec::new(),
        at: 0,
    };
    let mut tokens: Vec<Token> = Vec::with_capacity(CHUNK_TOKENS + 256);
    let mut depth = 0usize;
    for token in source.lex() {
        match token.kind() {
            TokenKind::LeftSquareBracket | TokenKind::LeftCurlyBracket => depth += 1,
            TokenKind::RightSquareBracket | TokenKind::RightCurlyBracket => {
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        let cut = token.kind() == TokenKind::Newline && depth == 0;
        tokens.push(token);
        if cut && tokens.len() >= CHUNK_TOKENS {
            reader.chunk(&tokens)?;
            tokens.clear();
        }
    }
    reader.chunk(&tokens)?;
    reader.finish()
}

/// Which table the keys being read belong to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Table {
    Root,
    Input,
    Node,
}

/// Bits of the keys already given, to refuse a key given twice.
const NAME: u8 = 1;
const MAX_STEPS: u8 = 2;
const INPUT: u8 = 4;
const ID: u8 = 1;
const KIND: u8 = 2;
const CONFIG: u8 = 4;
const NEXT: u8 = 8;
const ROUTES: u8 = 16;
const TIMEOUT: u8 = 32;
const RETRIES: u8 = 64;

/// Whether any error was reported.
#[derive(Default)]
struct Failed(bool);

impl ErrorSink for Failed {
    fn report_error(&mut self, _error: ParseError) {
        self.0 = true;
    }
}

struct Reader<'i, F> {
    /// Given each node entry once it is read whole.
    closed: F,
    source: Source<'i>,
    def: WorkflowDef,
    table: Table,
    root_keys: u8,
    node_keys: u8,
    /// The events of the chunk being read, and the next one to read.
    events: Vec<Event>,
    at: usize,
}

impl<'i, F: FnMut(NodeDef) -> Option<NodeDef>> Reader<'i, F> {
    /// Reads the expressions of one chunk of whole lines.
    fn chunk(&mut self, tokens: &[Token]) -> Option<()> {
        let mut failed = Failed::default();
        self.events.clear();
        self.at = 0;
        {
            let mut events = std::mem::take(&mut self.events);
            let mut validate = ValidateWhitespace::new(&mut events, self.source);
            let mut guard = RecursionGuard::new(&mut validate, MAX_DEPTH);
            toml_parser::parser::parse_document(tokens, &mut guard, &mut failed);
            self.events = events;
        }
        if failed.0 {
            return None;
        }
        while let Some(event) = self.next_significant() {
            match event.kind() {
                EventKind::StdTableOpen => {
                    self.close_node()?;
                    self.header(EventKind::StdTableClose, "input")?;
                    if self.root_keys & INPUT != 0 {
                        return None;
                    }
                    self.root_keys |= INPUT;
                    self.table = Table::Input;
                }
                EventKind::ArrayTableOpen => {
                    self.close_node()?;
                    self.header(EventKind::ArrayTableClose, "nodes")?;
                    self.def.nodes.push(NodeDef::default());
                    self.node_keys = 0;
                    self.table = Table::Node;
                }
                EventKind::SimpleKey => {
                    let key = self.key(&event)?;
                    self.expect(EventKind::KeyValSep)?;
                    let value = self.value()?;
                    self.assign(key, value)?;
                }
                _ => return None,
            }
        }
        Some(())
    }

    /// The definition, once every chunk is read.
    fn finish(mut self) -> Option<WorkflowDef> {
        self.close_node()?;
        Some(self.def)
    }

    /// Checks that the node being read has what it must have, and gives it to `closed`.
    fn close_node(&mut self) -> Option<()> {
        if self.table != Table::Node {
            return Some(());
        }
        if self.node_keys & (ID | KIND) != ID | KIND {
            return None;
        }
        // A node closes once: the next key read is in another table.
        self.table = Table::Root;
        let entry = self.def.nodes.pop()?;
        if let Some(kept) = (self.closed)(entry) {
            self.def.nodes.push(kept);
        }
        Some(())
    }

    /// The next event that is not whitespace, a comment or a line break.
    fn next_significant(&mut self) -> Option<Event> {
        while let Some(&event) = self.events.get(self.at) {
            self.at += 1;
            if !matches!(
                event.kind(),
                EventKind::Whitespace | EventKind::Comment | EventKind::Newline
            ) {
                return Some(event);
            }
        }
        None
    }

    fn expect(&mut self, kind: EventKind) -> Option<()> {
        (self.next_significant()?.kind() == kind).then_some(())
    }

    /// A table header naming one plain key, `name`.
    fn header(&mut self, close: EventKind, name: &str) -> Option<()> {
        let key = self.next_significant()?;
        if key.kind() != EventKind::SimpleKey || self.key(&key)? != name {
            return None;
        }
        self.expect(close)
    }

    /// The decoded key of a `SimpleKey` event.
    fn key(&self, event: &Event) -> Option<Cow<'i, str>> {
        let raw = self.source.get(event)?;
        // A bare key is its own text; only quoted keys need decoding.
        let text = raw.as_str();
        if event.encoding().is_none()
            && !text.is_empty()
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Some(Cow::Borrowed(text));
        }
        let mut failed = Failed::default();
        let mut key = Cow::Borrowed("");
        raw.decode_key(&mut key, &mut failed);
        (!failed.0).then_some(key)
    }

    /// A value: a scalar, an array or an inline table.
    fn value(&mut self) -> Option<Value> {
        let event = self.next_significant()?;
        match event.kind() {
            EventKind::Scalar => self.scalar(&event),
            EventKind::ArrayOpen => {
                let mut items = Vec::new();
                loop {
                    let at = self.at;
                    match self.next_significant()?.kind() {
                        EventKind::ArrayClose => return Some(Value::Array(items)),
                        EventKind::ValueSep => {}
                        _ => {
                            self.at = at;
                            items.push(self.value()?);
                        }
                    }
                }
            }
            EventKind::InlineTableOpen => {
                let mut map = Map::new();
                loop {
                    let event = self.next_significant()?;
                    match event.kind() {
                        EventKind::InlineTableClose => return Some(Value::Object(map)),
                        EventKind::ValueSep => {}
                        EventKind::SimpleKey => {
                            let key = self.key(&event)?.into_owned();
                            self.expect(EventKind::KeyValSep)?;
                            let value = self.value()?;
                            if map.insert(key, value).is_some() {
                                return None;
                            }
                        }
                        _ => return None,
                    }
                }
            }
            _ => None,
        }
    }

    /// A string, number or boolean, as the `toml` crate gives it to serde.
    fn scalar(&self, event: &Event) -> Option<Value> {
        let mut failed = Failed::default();
        let mut text = Cow::Borrowed("");
        let kind = self
            .source
            .get(event)?
            .decode_scalar(&mut text, &mut failed);
        if failed.0 {
            return None;
        }
        match kind {
            ScalarKind::String => Some(Value::String(text.into_owned())),
            ScalarKind::Boolean(value) => Some(Value::Bool(value)),
            ScalarKind::Integer(radix) => {
                if let Ok(value) = i64::from_str_radix(&text, radix.value()) {
                    Some(Value::Number(value.into()))
                } else {
                    let value = u64::from_str_radix(&text, radix.value()).ok()?;
                    Some(Value::Number(value.into()))
                }
            }
            ScalarKind::Float => {
                let value: f64 = text.parse().ok()?;
                Number::from_f64(value).map(Value::Number)
            }
            ScalarKind::DateTime => None,
        }
    }

    /// Puts `value` where `key` of the current table says.
    fn assign(&mut self, key: Cow<'i, str>, value: Value) -> Option<()> {
        match self.table {
            Table::Root => {
                let bit = match &*key {
                    "name" => {
                        self.def.name = Some(string(value)?);
                        NAME
                    }
                    "max_steps" => {
                        self.def.max_steps = Some(usize::try_from(value.as_u64()?).ok()?);
                        MAX_STEPS
                    }
                    "input" => {
                        let Value::Object(map) = value else {
                            return None;
                        };
                        self.def.input = map;
                        INPUT
                    }
                    _ => return None,
                };
                given(&mut self.root_keys, bit)
            }
            Table::Input => self
                .def
                .input
                .insert(key.into_owned(), value)
                .is_none()
                .then_some(()),
            Table::Node => {
                let node = self.def.nodes.last_mut()?;
                let bit = match &*key {
                    "id" => {
                        node.id = string(value)?;
                        ID
                    }
                    "kind" => {
                        node.kind = string(value)?;
                        KIND
                    }
                    "config" => {
                        let Value::Object(map) = value else {
                            return None;
                        };
                        node.config = map;
                        CONFIG
                    }
                    "next" => {
                        let Value::Array(items) = value else {
                            return None;
                        };
                        node.next = items.into_iter().map(string).collect::<Option<_>>()?;
                        NEXT
                    }
                    "routes" => {
                        let Value::Object(map) = value else {
                            return None;
                        };
                        node.routes = map
                            .into_iter()
                            .map(|(k, v)| Some((k, string(v)?)))
                            .collect::<Option<_>>()?;
                        ROUTES
                    }
                    "timeout" => {
                        node.timeout = Some(duration(&string(value)?)?);
                        TIMEOUT
                    }
                    "retries" => {
                        node.retries = Some(u32::try_from(value.as_u64()?).ok()?);
                        RETRIES
                    }
                    _ => return None,
                };
                given(&mut self.node_keys, bit)
            }
        }
    }
}

/// Marks `bit` given; `None` when it already was.
fn given(keys: &mut u8, bit: u8) -> Option<()> {
    let first = *keys & bit == 0;
    *keys |= bit;
    first.then_some(())
}

fn string(value: Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text),
        _ => None,
    }
}

/// A duration as `humantime_serde` reads it (`"2s"`, `"500ms"`).
fn duration(text: &str) -> Option<Duration> {
    humantime_serde::re::humantime::parse_duration(text).ok()
}

#[cfg(test)]
mod tests {
    use super::read;
    use crate::workflow_file::WorkflowDef;

    /// What the `toml` crate reads, if it reads it.
    fn by_toml(text: &str) -> Option<WorkflowDef> {
        toml::from_str(text).ok()
    }

    /// The reader gives what the `toml` crate gives, or leaves the text to it.
    fn agrees(text: &str) -> bool {
        let fast = read(text);
        if let Some(fast) = &fast {
            let slow = by_toml(text);
            assert_eq!(Some(fast), slow.as_ref(), "{text}");
            // Same maps, and in the same order.
            assert_eq!(
                serde_json::to_string(&fast.nodes.iter().map(|n| &n.config).collect::<Vec<_>>())
                    .ok(),
                serde_json::to_string(
                    &slow
                        .iter()
                        .flat_map(|d| &d.nodes)
                        .map(|n| &n.config)
                        .collect::<Vec<_>>()
                )
                .ok(),
            );
        }
        fast.is_some()
    }

    const NODE: &str = "[[nodes]]\nid = \"a\"\nkind = \"start\"\n";

    #[test]
    fn reads_the_usual_shapes() {
        for text in [
            "",
            "# nothing but a comment\n",
            NODE,
            "\u{feff}name = \"bom\"\n",
            "name = \"x\"\r\nmax_steps = 7\r\n\r\n[[nodes]]\r\nid = \"a\"\r\nkind = \"start\"\r\n",
            "input = { a = 1, b = [1, 2.5, true, \"s\"] }\n",
            "[input]\ntopic = \"rust\"\nnested = { a = { b = 'lit' } }\n\n[[nodes]]\nid = \"a\"\nkind = \"start\"\n",
            "[[nodes]]\n\"id\" = 'a'\n'kind' = \"\"\"start\"\"\"\nnext = [\n  \"b\", # why\n  \"c\",\n]\n",
            "[[nodes]]\nid = \"a\\u00e9\\n\"\nkind = \"t\"\nconfig = { z = 1, a = 2, m = { y = 0x1F, x = 0o17, v = -17, w = 0b101 } }\n",
            "[[nodes]]\nid = \"a\"\nkind = \"t\"\nconfig = { f = 1_000.5e-3, i = 1_000, big = 18446744073709551615 }\n",
            "[[nodes]]\nid = \"a\"\nkind = \"t\"\nroutes = { ok = \"b\", \"no way\" = \"c\" }\ntimeout = \"1m 2s\"\nretries = 3\n",
            "[[nodes]]\nid = \"a\"\nkind = \"t\"\nconfig = { list = [[1, 2], [3]], empty = {}, e = [] }\n",
            "[input]\nA-z_09 = 1\n\"quoted \\u00e9\" = 2\n'lit\\' = 3\n1234 = 4\n",
        ] {
            assert!(agrees(text), "not taken: {text}");
        }
    }

    #[test]
    fn leaves_everything_else_to_the_toml_crate() {
        for text in [
            "name = 1\n",
            "name = \"a\"\nname = \"b\"\n",
            "max_steps = -1\n",
            "max_steps = 1.5\n",
            "nodes = []\n",
            "other = 1\n",
            "input = 1\n",
            "input = { a = 1 }\n[input]\nb = 2\n",
            "[input]\na = 1\n[input]\nb = 2\n",
            "[input]\na = 1\na = 2\n",
            "[input]\na.b = 1\n",
            "[input]\nwhen = 1979-05-27T07:32:00Z\n",
            "[input]\nx = nan\n",
            "[input]\nx = inf\n",
            "[input]\nx = 170141183460469231731687303715884105727\n",
            "[input]\nx = { a = 1, a = 2 }\n",
            "[other]\n",
            "[input.deep]\na = 1\n",
            "[[nodes]]\nkind = \"start\"\n",
            "[[nodes]]\nid = \"a\"\n",
            "[[nodes]]\nid = \"a\"\nkind = \"start\"\nkind = \"end\"\n",
            "[[nodes]]\nid = \"a\"\nkind = \"start\"\nnxt = []\n",
            "[[nodes]]\nid = \"a\"\nkind = \"start\"\nnext = \"b\"\n",
            "[[nodes]]\nid = \"a\"\nkind = \"start\"\nnext = [1]\n",
            "[[nodes]]\nid = \"a\"\nkind = \"start\"\nroutes = { ok = 1 }\n",
            "[[nodes]]\nid = \"a\"\nkind = \"start\"\ntimeout = \"soon\"\n",
            "[[nodes]]\nid = \"a\"\nkind = \"start\"\nretries = -1\n",
            "[[nodes]]\nid = \"a\"\nkind = \"start\"\nretries = 4294967296\n",
            "[[nodes]]\nid = \"a\"\nkind = \"start\"\nconfig.x = 1\n",
            "[[nodes]]\nid = \"a\"\nkind = \"start\"\n[nodes.config]\nx = 1\n",
            "[[nodes]]\nid = \"a\"\nkind = start\n",
            "[[nodes]]\nid = \"a\" kind = \"start\"\n",
            "[[nodes]\nid = \"a\"\n",
            "[[nodes]]\nid = \"a\"\nkind = \"start\" # \u{7}\n",
            "[[nodes]]\nid = \"a\\q\"\nkind = \"start\"\n",
            "[input]\nkey\u{e9} = 1\n",
            "[input]\n\"\\x\" = 1\n",
        ] {
            assert!(!agrees(text), "taken: {text}");
        }
    }

    /// A file long enough to be read in several chunks, with arrays across lines and
    /// brackets at the start of lines inside them.
    #[test]
    fn reads_across_chunks() {
        let mut text = String::from("name = \"long\"\n");
        for i in 0..3_000 {
            text.push_str(&format!(
                "\n[[nodes]]\nid = \"n{i}\"\nkind = \"set\"\nconfig = {{ values = {{ grid = [\n[{i}, 1],\n[2, 3]\n] }} }}\nnext = [\n\"n{}\"\n]\n",
                i + 1
            ));
        }
        assert!(agrees(&text));
        assert_eq!(read(&text).map(|def| def.nodes.len()), Some(3_000));
        // An error far down is still the toml crate's to report.
        let broken = text.replace("\"n2999\"\n]", "\"n2999\"\n");
        assert!(!agrees(&broken));
    }

    /// Bytes of a good file deleted, doubled or replaced by TOML's punctuation, many times
    /// over: whatever the reader takes, the `toml` crate reads the same way.
    #[test]
    fn agrees_with_the_toml_crate_on_mangled_files() {
        let text = "name = \"m\"\nmax_steps = 9\n\n[input]\nt = \"x\"\nn = [1, 2.5, { a = true }]\n\n\
            [[nodes]]\nid = \"s\"\nkind = \"start\"\nnext = [\"d\"]\n\n\
            [[nodes]]\nid = \"d\"\nkind = \"route\" # c\nconfig = { on = \"s.x\", cases = { \"a b\" = \"ok\" } }\n\
            routes = { ok = \"e\" }\ntimeout = \"2s\"\nretries = 2\n\n[[nodes]]\nid = 'e'\nkind = \"end\"\n";
        assert!(agrees(text));
        let pieces = [
            "", "\n", " ", "=", ",", ".", "[", "]", "{", "}", "\"", "'", "#", "x", "1", "-", "\\",
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        let mut taken = 0;
        for _ in 0..3_000 {
            let mut mangled = text.to_owned();
            for _ in 0..rng.usize(1..=2) {
                let at = rng.usize(..mangled.len());
                let end = (at + rng.usize(0..=2)).min(mangled.len());
                mangled.replace_range(at..end, pieces[rng.usize(..pieces.len())]);
            }
            if agrees(&mangled) {
                taken += 1;
            }
        }
        // Some mangled files are still good ones, and the reader takes them.
        assert!(taken > 100, "took {taken}");
    }

    #[test]
    fn reads_the_example_workflows() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/workflows");
        for entry in std::fs::read_dir(dir).expect("examples") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("reads");
            assert!(agrees(&text), "not taken: {text}");
        }
    }
}
