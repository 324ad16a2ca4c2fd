//! Drawing a workflow: its graph as Graphviz DOT or Mermaid text.
//!
//! Both drawings show every node with its id and kind, every `next` edge as a plain arrow and
//! every route as a dashed arrow labelled with its key, so loops show as arrows back.
//! Whatever the ids, kinds and route keys contain, the text parses and shows them as written.

use std::fmt::Write as _;

use crate::graph::workflow::{NodeRole, NodeSpec, Workflow};

impl Workflow {
    /// The workflow's graph in Graphviz DOT: the start node is a circle, end nodes double
    /// circles, nodes with routes diamonds, the others rounded boxes; routes are dashed and labelled with their
    /// key. Node labels are the id, then the kind on a second line.
    ///
    /// Every id, kind, route key and the workflow's name is written as a quoted DOT string, so
    /// any text is safe: `"` is written `\"`, a backslash `\\` (shown as one backslash, so
    /// that `\N` or `\l` in an id is shown as typed, never expanded), a line feed `\n` (a line
    /// break in a label) and a carriage return `\r` (Graphviz's right-aligned line break).
    /// The output therefore never has a line break inside a string: each statement is one
    /// line.
    ///
    /// ```
    /// use nadoo_flow_core::{NodeSpec, Workflow};
    /// use serde_json::json;
    ///
    /// let workflow = Workflow::builder("quotes")
    ///     .node(NodeSpec::start("start").next("say \"hi\""))
    ///     .node(NodeSpec::from_kind("say \"hi\"", "set", json!({}))?.next("C:\\end\nnow"))
    ///     .node(NodeSpec::end("C:\\end\nnow"))
    ///     .build()?;
    /// let dot = workflow.to_dot();
    /// assert!(dot.contains(r#"  "say \"hi\"" [label="say \"hi\"\nset", shape=box];"#));
    /// assert!(dot.contains(r#"  "say \"hi\"" -> "C:\\end\nnow";"#));
    /// // Each statement stays on its line: 3 header lines, 3 nodes, 2 edges, `}`.
    /// assert_eq!(dot.lines().count(), 9);
    /// # Ok::<(), nadoo_flow_core::Error>(())
    /// ```
    pub fn to_dot(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "digraph {} {{", dot_quoted(self.name()));
        out.push_str("  rankdir=LR;\n");
        out.push_str("  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
        for node in self.nodes() {
            let shape = match node.role() {
                NodeRole::Start => "circle",
                NodeRole::End => "doublecircle",
                NodeRole::Task if !node.routes().is_empty() => "diamond",
                NodeRole::Task => "box",
            };
            // `\n` inside a DOT label is a line break.
            let _ = writeln!(
                out,
                "  {} [label=\"{}\\n{}\", shape={shape}];",
                dot_quoted(node.id()),
                dot_escaped(node.id()),
                dot_escaped(node.kind())
            );
        }
        for node in self.nodes() {
            let from = dot_quoted(node.id());
            for next in node.next_ids() {
                let _ = writeln!(out, "  {from} -> {};", dot_quoted(next));
            }
            for (key, target) in node.routes() {
                let _ = writeln!(
                    out,
                    "  {from} -> {} [label={}, style=dashed];",
                    dot_quoted(target),
                    dot_quoted(key)
                );
            }
        }
        out.push_str("}\n");
        out
    }

    /// The workflow's graph as a Mermaid flowchart, left to right: start and end nodes are
    /// circles, nodes with routes rhombuses, the others boxes; routes are dotted arrows
    /// labelled with their key. Node labels are the id, then the kind in small type.
    ///
    /// Mermaid node ids are generated from the node's position (`n0`, `n1`, ...), so no id
    /// can clash with Mermaid's syntax or keywords (`end`, `graph`, `style`, ...). The real
    /// ids, the kinds and the route keys appear only inside quoted labels, with Mermaid entity
    /// codes for the characters that mean something there: `"` is `#quot;`, `#` is `#35;`,
    /// `<` and `>` are `#lt;` and `#gt;`, `&` is `#amp;`, `` ` `` is `#96;` and `:` is `#58;`
    /// (Mermaid rewrites `style ...:...#...;` lines). A line break (`\n`, `\r\n` or `\r`)
    /// is shown as a line break, `<br/>`.
    ///
    /// ```
    /// use nadoo_flow_core::{NodeSpec, Workflow};
    /// use serde_json::json;
    ///
    /// let workflow = Workflow::builder("keywords")
    ///     .node(NodeSpec::start("start").next("end"))
    ///     .node(NodeSpec::from_kind("end", "set", json!({}))?.route("<\"go\">", "x --> #y"))
    ///     .node(NodeSpec::end("x --> #y"))
    ///     .build()?;
    /// let mermaid = workflow.to_mermaid();
    /// let lines: Vec<&str> = mermaid.lines().collect();
    /// assert_eq!(
    ///     lines,
    ///     [
    ///         r##"flowchart LR"##,
    ///         r##"  n0(("start<br/><small>start</small>"))"##,
    ///         r##"  n1{"end<br/><small>set</small>"}"##,
    ///         r##"  n2(("x --#gt; #35;y<br/><small>end</small>"))"##,
    ///         r##"  n0 --> n1"##,
    ///         r##"  n1 -. "#lt;#quot;go#quot;#gt;" .-> n2"##,
    ///     ]
    /// );
    /// # Ok::<(), nadoo_flow_core::Error>(())
    /// ```
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for (i, node) in self.nodes().iter().enumerate() {
            let label = format!(
                "{}<br/><small>{}</small>",
                mermaid_text(node.id()),
                mermaid_text(node.kind())
            );
            let (open, close) = mermaid_shape(node);
            let _ = writeln!(out, "  n{i}{open}\"{label}\"{close}");
        }
        let key = |id: &str| {
            self.position(id)
                .map_or_else(|| "missing".to_owned(), |i| format!("n{i}"))
        };
        for (i, node) in self.nodes().iter().enumerate() {
            for next in node.next_ids() {
                let _ = writeln!(out, "  n{i} --> {}", key(next));
            }
            for (route, target) in node.routes() {
                let _ = writeln!(
                    out,
                    "  n{i} -. \"{}\" .-> {}",
                    mermaid_text(route),
                    key(target)
                );
            }
        }
        out
    }
}

/// `text` as a quoted DOT string.
fn dot_quoted(text: &str) -> String {
    format!("\"{}\"", dot_escaped(text))
}

/// `text` escaped for the inside of a quoted DOT string; distinct texts stay distinct, so the
/// result also serves as a node's name.
fn dot_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// The brackets of a node's Mermaid shape.
fn mermaid_shape(node: &NodeSpec) -> (&'static str, &'static str) {
    match node.role() {
        NodeRole::Start | NodeRole::End => ("((", "))"),
        NodeRole::Task if !node.routes().is_empty() => ("{", "}"),
        NodeRole::Task => ("[", "]"),
    }
}

/// `text` for the inside of a quoted Mermaid label, shown as written.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            // A label starting with a backtick would be read as a Markdown string.
            '`' => out.push_str("#96;"),
            // Mermaid drops the last `;` of a line matching `style.*:\S*#.*;` (and the same
            // for `classDef`), which would break the entity codes above.
            ':' => out.push_str("#58;"),
            // Mermaid's own placeholders for entity codes, so that text cannot forge one.
            'ﬂ' => out.push_str("#64258;"),
            '¶' => out.push_str("#182;"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("<br/>"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::graph::workflow::{NodeRole, NodeSpec, Workflow};

    /// Ids, kinds and route keys that break naive DOT or Mermaid output.
    const HOSTILE: &[&str] = &[
        "say \"hi\"",
        "back\\slash",
        "trailing\\",
        "\\\"",
        "\\N \\G \\l \\n",
        "line\nbreak",
        "cr\r\nlf\rcr",
        "<b>bold</b>",
        "{curly}",
        "a|b",
        "[square]",
        "(round)",
        "semi;colon",
        "#hash",
        "#quot;",
        "#35;",
        "a -- b",
        "a --> b",
        "x -. y .-> z",
        "ünïcødé ✓ 日本語",
        "end",
        "graph",
        "subgraph",
        "style",
        "click",
        "class",
        "style n0 fill:#f00;",
        "classDef x fill:#f00;",
        "`markdown`",
        "a & b &amp;",
        "n0",
        "ﬂ°°35¶ß",
        "\" [label=\"x\"]; \"y",
        "%% comment",
        "",
    ];

    /// Start, then every hostile id in a chain of `next` edges with hostile kinds, then a
    /// hostile end; every third node also routes back to the first (a loop) under a hostile
    /// key. The name is hostile too.
    fn hostile() -> Workflow {
        let end = "end\"}\n--> n1";
        let mut builder =
            Workflow::builder("g\"r\\a\nph {").node(NodeSpec::start("start").next(HOSTILE[0]));
        for (i, id) in HOSTILE.iter().enumerate() {
            let kind = HOSTILE[(i + 7) % HOSTILE.len()];
            let mut node = NodeSpec::from_kind(*id, "set", json!({}))
                .expect("`set` is a built-in kind")
                .with_kind(kind, json!({}))
                .next(HOSTILE.get(i + 1).copied().unwrap_or(end));
            if i % 3 == 2 {
                node = node.route(HOSTILE[(i + 13) % HOSTILE.len()], HOSTILE[0]);
            }
            builder = builder.node(node);
        }
        builder
            .node(NodeSpec::end(end))
            .build()
            .expect("a valid workflow")
    }

    /// Each edge of `workflow`: from, to, and the route key of a route.
    fn edges(workflow: &Workflow) -> Vec<(String, String, Option<String>)> {
        let mut edges = Vec::new();
        for node in workflow.nodes() {
            for next in node.next_ids() {
                edges.push((node.id().to_owned(), next.to_string(), None));
            }
            for (key, target) in node.routes() {
                edges.push((node.id().to_owned(), target.clone(), Some(key.clone())));
            }
        }
        edges.sort();
        edges
    }

    #[derive(Debug, PartialEq)]
    enum Token {
        /// A quoted string, decoded.
        Text(String),
        /// Anything else: a word or a punctuation mark.
        Bare(String),
    }

    /// The tokens of one DOT line. A string must close on its line, and its only escapes are
    /// the ones `to_dot` writes.
    fn dot_tokens(line: &str) -> Vec<Token> {
        let mut tokens = Vec::new();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                ' ' => {}
                '"' => {
                    let mut text = String::new();
                    loop {
                        match chars.next() {
                            Some('"') => break,
                            Some('\\') => text.push(match chars.next() {
                                Some('"') => '"',
                                Some('\\') => '\\',
                                Some('n') => '\n',
                                Some('r') => '\r',
                                other => panic!("unknown escape {other:?} in {line:?}"),
                            }),
                            Some(c) => text.push(c),
                            None => panic!("a string does not close in {line:?}"),
                        }
                    }
                    tokens.push(Token::Text(text));
                }
                '-' => {
                    assert_eq!(chars.next(), Some('>'), "{line:?}");
                    tokens.push(Token::Bare("->".into()));
                }
                c if c.is_ascii_alphanumeric() => {
                    let mut word = String::from(c);
                    while let Some(&c) = chars.peek().filter(|c| c.is_ascii_alphanumeric()) {
                        word.push(c);
                        chars.next();
                    }
                    tokens.push(Token::Bare(word));
                }
                c if "[]{};,=".contains(c) => tokens.push(Token::Bare(c.to_string())),
                c => panic!("unexpected {c:?} outside a string in {line:?}"),
            }
        }
        tokens
    }

    /// Whether every `"` of `line` that no backslash escapes has a partner.
    fn balanced_quotes(line: &str) -> bool {
        let (mut quotes, mut backslashes) = (0, 0);
        for c in line.chars() {
            match c {
                '\\' => backslashes += 1,
                '"' if backslashes % 2 == 0 => quotes += 1,
                _ => {}
            }
            if c != '\\' {
                backslashes = 0;
            }
        }
        quotes % 2 == 0
    }

    fn text(token: &Token) -> &str {
        match token {
            Token::Text(text) => text,
            Token::Bare(bare) => panic!("expected a string, found {bare:?}"),
        }
    }

    fn bare(text: &str) -> Token {
        Token::Bare(text.to_owned())
    }

    #[test]
    fn dot_survives_hostile_text() {
        let workflow = hostile();
        let dot = workflow.to_dot();
        let mut nodes = Vec::new();
        let mut edges = Vec::new();
        for (i, line) in dot.lines().enumerate() {
            assert!(balanced_quotes(line), "line {i}: {line:?}");
            assert!(!line.starts_with('#'), "Graphviz skips {line:?}");
            let tokens = dot_tokens(line);
            match tokens.as_slice() {
                [Token::Bare(d), Token::Text(name), open] if d == "digraph" => {
                    assert_eq!((i, name.as_str(), open), (0, workflow.name(), &bare("{")));
                }
                [Token::Bare(word), ..] if i > 0 => {
                    assert!(
                        ["rankdir", "node", "}"].contains(&word.as_str()),
                        "{line:?}"
                    );
                }
                [Token::Text(id), open, label, eq, value, rest @ ..] if *open == bare("[") => {
                    assert_eq!((label, eq), (&bare("label"), &bare("=")), "{line:?}");
                    let node = workflow.node(id).expect("a node of the workflow");
                    assert_eq!(text(value), format!("{id}\n{}", node.kind()));
                    assert_eq!(rest.last(), Some(&bare(";")), "{line:?}");
                    nodes.push(id.clone());
                }
                [Token::Text(from), arrow, Token::Text(to), rest @ ..] if *arrow == bare("->") => {
                    let key = match rest {
                        [semicolon] => {
                            assert_eq!(semicolon, &bare(";"));
                            None
                        }
                        [_, label, _, key, ..] => {
                            assert_eq!(label, &bare("label"), "{line:?}");
                            Some(text(key).to_owned())
                        }
                        _ => panic!("unexpected edge {line:?}"),
                    };
                    edges.push((from.clone(), to.clone(), key));
                }
                _ => panic!("unexpected line {line:?}"),
            }
        }
        // Each node once, in order; each edge once, with its route key.
        let ids: Vec<&str> = workflow.nodes().iter().map(NodeSpec::id).collect();
        assert_eq!(nodes, ids);
        edges.sort();
        assert_eq!(edges, self::edges(&workflow));
        let routes = edges.iter().filter(|e| e.2.is_some()).count();
        assert_eq!(
            (edges.len(), routes),
            (HOSTILE.len() + 1 + HOSTILE.len() / 3, HOSTILE.len() / 3)
        );
    }

    /// Decodes the inside of a quoted Mermaid label, refusing anything `to_mermaid` escapes.
    fn mermaid_decoded(label: &str) -> String {
        let mut out = String::new();
        let mut rest = label;
        while let Some(c) = rest.chars().next() {
            if let Some(after) = rest.strip_prefix("<br/>") {
                out.push('\n');
                rest = after;
            } else if c == '#' {
                let end = rest.find(';').expect("an entity code ends with `;`");
                out.push(match &rest[1..end] {
                    "quot" => '"',
                    "35" => '#',
                    "lt" => '<',
                    "gt" => '>',
                    "amp" => '&',
                    "96" => '`',
                    "58" => ':',
                    "64258" => 'ﬂ',
                    "182" => '¶',
                    code => panic!("unknown entity code {code:?} in {label:?}"),
                });
                rest = &rest[end + 1..];
            } else {
                assert!(!"\"<>`:&\n\rﬂ¶".contains(c), "raw {c:?} in {label:?}");
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        out
    }

    /// `text` with line breaks as `to_mermaid` shows them.
    fn lines_as_shown(text: &str) -> String {
        text.replace("\r\n", "\n").replace('\r', "\n")
    }

    #[test]
    fn mermaid_survives_hostile_text() {
        let workflow = hostile();
        let mermaid = workflow.to_mermaid();
        let mut lines = mermaid.lines();
        assert_eq!(lines.next(), Some("flowchart LR"));
        let key = |id: &str| format!("n{}", workflow.position(id).expect("a node"));
        let mut nodes = Vec::new();
        let mut edges = Vec::new();
        for line in lines {
            // Outside the one quoted label of a line there is only generated syntax.
            let parts: Vec<&str> = line.split('"').collect();
            let skeleton: String = parts.iter().step_by(2).copied().collect();
            assert!(
                skeleton
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || " ()[]{}-.>".contains(c)),
                "{line:?}"
            );
            match parts.as_slice() {
                [open, label, close] if open.ends_with(['(', '[', '{']) => {
                    let i = nodes.len();
                    let node = &workflow.nodes()[i];
                    let shape = match (node.role(), node.routes().is_empty()) {
                        (NodeRole::Task, true) => ("[", "]"),
                        (NodeRole::Task, false) => ("{", "}"),
                        _ => ("((", "))"),
                    };
                    assert_eq!(
                        (*open, *close),
                        (format!("  n{i}{}", shape.0).as_str(), shape.1)
                    );
                    let (id, kind) = label.split_once("<br/><small>").expect("id, then kind");
                    let kind = kind.strip_suffix("</small>").expect("small kind");
                    assert_eq!(mermaid_decoded(id), lines_as_shown(node.id()));
                    assert_eq!(mermaid_decoded(kind), lines_as_shown(node.kind()));
                    nodes.push(node.id());
                }
                [plain] => {
                    let (from, to) = plain.trim_start().split_once(" --> ").expect("an edge");
                    edges.push((from.to_owned(), to.to_owned(), None));
                }
                [from, key, to] => {
                    let from = from.trim_start().strip_suffix(" -. ").expect("a route");
                    let to = to.strip_prefix(" .-> ").expect("a route");
                    edges.push((from.to_owned(), to.to_owned(), Some(mermaid_decoded(key))));
                }
                _ => panic!("unexpected line {line:?}"),
            }
        }
        let ids: Vec<&str> = workflow.nodes().iter().map(NodeSpec::id).collect();
        assert_eq!(nodes, ids);
        edges.sort();
        let mut expected: Vec<_> = self::edges(&workflow)
            .into_iter()
            .map(|(from, to, route)| (key(&from), key(&to), route.as_deref().map(lines_as_shown)))
            .collect();
        expected.sort();
        assert_eq!(edges, expected);
    }

    /// An ordinary workflow with a loop, drawn as the `graph` command always drew it.
    #[test]
    fn ordinary_workflow_with_a_loop() -> crate::Result<()> {
        let workflow = Workflow::builder("review")
            .node(NodeSpec::start("start").next("draft"))
            .node(NodeSpec::from_kind("draft", "set", json!({}))?.next("check"))
            .node(
                NodeSpec::from_kind("check", "set", json!({}))?
                    .route("ok", "done")
                    .route("revise", "revise"),
            )
            .node(NodeSpec::from_kind("revise", "set", json!({}))?.next("check"))
            .node(NodeSpec::end("done"))
            .build()?;
        assert!(workflow.has_loops());
        assert_eq!(
            workflow.to_dot(),
            r#"digraph "review" {
  rankdir=LR;
  node [shape=box, style=rounded, fontname="Helvetica"];
  "start" [label="start\nstart", shape=circle];
  "draft" [label="draft\nset", shape=box];
  "check" [label="check\nset", shape=diamond];
  "revise" [label="revise\nset", shape=box];
  "done" [label="done\nend", shape=doublecircle];
  "start" -> "draft";
  "draft" -> "check";
  "check" -> "done" [label="ok", style=dashed];
  "check" -> "revise" [label="revise", style=dashed];
  "revise" -> "check";
}
"#
        );
        assert_eq!(
            workflow.to_mermaid(),
            r#"flowchart LR
  n0(("start<br/><small>start</small>"))
  n1["draft<br/><small>set</small>"]
  n2{"check<br/><small>set</small>"}
  n3["revise<br/><small>set</small>"]
  n4(("done<br/><small>end</small>"))
  n0 --> n1
  n1 --> n2
  n2 -. "ok" .-> n4
  n2 -. "revise" .-> n3
  n3 --> n2
"#
        );
        Ok(())
    }
}
