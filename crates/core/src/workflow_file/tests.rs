//! Where errors are reported: each case below was checked against the figures the loader gave
//! before it learned to read files in one pass, so a change in how positions are found shows.

use super::WorkflowDef;
use crate::graph::workflow::Workflow;

/// A chain of `n` `set` nodes between a start and an end node, with `extra` after node `at`.
fn chain(n: usize, extra: &str, at: usize) -> String {
    let mut text = String::from(
        "name = \"big\"\n\n[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"n0\"]\n",
    );
    for i in 0..n {
        text.push_str(&format!(
            "\n[[nodes]]\nid = \"n{i}\"\nkind = \"set\"\nconfig = {{ values = {{ step = {i} }} }}\nnext = [\"n{}\"]\n",
            i + 1
        ));
        if i == at {
            text.push_str(extra);
        }
    }
    text.push_str(&format!("\n[[nodes]]\nid = \"n{n}\"\nkind = \"end\"\n"));
    text
}

fn cases() -> Vec<(&'static str, String)> {
    let review = "name = \"review\"\n\n[input]\ntopic = \"rust\"\n\n[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"draft\"]\n\n[[nodes]]\nid = \"draft\"\nkind = \"template\"\nconfig = { text = \"A post about {{topic}}\", output = \"text\" }\nnext = [\"check\"]\n\n[[nodes]]\nid = \"check\"\nkind = \"route\"\nconfig = { on = \"draft.text\", cases = { \"A post about rust\" = \"ok\" }, default = \"again\" }\nroutes = { ok = \"done\", again = \"draft\" }\n\n[[nodes]]\nid = \"done\"\nkind = \"end\"\n";
    vec![
        (
            "malformed",
            "[[nodes]]\nid = \"start\"\nkind = start\n".to_owned(),
        ),
        (
            "unknown-node-key",
            "[[nodes]]\nid = \"start\"\nkind = \"start\"\nnxt = [\"a\"]\n".to_owned(),
        ),
        (
            "unknown-root-key",
            "nmae = \"x\"\n[[nodes]]\nid = \"start\"\nkind = \"start\"\n".to_owned(),
        ),
        (
            "retries-type",
            "[[nodes]]\nid = \"start\"\nkind = \"start\"\nretries = \"x\"\n".to_owned(),
        ),
        (
            "timeout-value",
            "[[nodes]]\nid = \"start\"\nkind = \"start\"\ntimeout = \"2 parsecs\"\n".to_owned(),
        ),
        ("missing-id", "[[nodes]]\nkind = \"start\"\n".to_owned()),
        (
            "duplicate-key",
            "[[nodes]]\nid = \"start\"\nkind = \"start\"\nkind = \"end\"\n".to_owned(),
        ),
        (
            "cases-type",
            review.replace(
                "cases = { \"A post about rust\" = \"ok\" }",
                "cases = \"ok\"",
            ),
        ),
        (
            "unknown-kind",
            review.replace("kind = \"template\"", "kind = \"tempalte\""),
        ),
        (
            "config-field",
            review.replace("output = \"text\"", "ouput = \"text\""),
        ),
        (
            "dangling-next",
            review.replace("next = [\"check\"]", "next = [\"ghost\"]"),
        ),
        (
            "dangling-route",
            review.replace("ok = \"done\"", "ok = \"nowhere\""),
        ),
        (
            "duplicate-id",
            review.replace("id = \"done\"", "id = \"draft\""),
        ),
        (
            "several-starts",
            review.replace("kind = \"template\"", "kind = \"start\""),
        ),
        (
            "cycle",
            review.replace("next = [\"check\"]", "next = [\"start\"]"),
        ),
        (
            "dotted-unknown",
            review.replace("routes = {", "config.x = 1\nroutes = {"),
        ),
        (
            "quoted-key-type",
            review.replace("\"kind\" = \"end\"", "").replace(
                "id = \"done\"\nkind = \"end\"",
                "\"id\" = \"done\"\n\"kind\" = 5",
            ),
        ),
        ("big-parse", chain(3000, "retries = -1\n", 2500)),
        ("big-malformed", chain(3000, "next = [\"n1\"\n", 2700)),
        (
            "big-config",
            chain(3000, "", 0).replace("step = 2800 }", "step = 2800 }, bogus = 1"),
        ),
        (
            "big-dangling",
            chain(3000, "", 0).replace("next = [\"n2901\"]", "next = [\"n2901\", \"ghost\"]"),
        ),
        (
            "big-kind",
            chain(3000, "", 0).replace(
                "id = \"n2999\"\nkind = \"set\"",
                "id = \"n2999\"\nkind = \"sett\"",
            ),
        ),
    ]
}

/// The error of each case of [`cases`], file:line:column, node and key.
const EXPECTED: &[(&str, &str)] = &[
    (
        "malformed",
        "wf.toml:3:8: key `kind`: string values must be quoted, expected literal string",
    ),
    (
        "unknown-node-key",
        "wf.toml:4:1: node `start`: key `nxt`: unknown field `nxt`, expected one of `id`, `kind`, `config`, `next`, `routes`, `timeout`, `retries`",
    ),
    (
        "unknown-root-key",
        "wf.toml:1:1: key `nmae`: unknown field `nmae`, expected one of `name`, `max_steps`, `input`, `nodes`",
    ),
    (
        "retries-type",
        "wf.toml:4:11: node `start`: key `retries`: invalid type: string \"x\", expected u32",
    ),
    (
        "timeout-value",
        "wf.toml:4:11: node `start`: key `timeout`: invalid value: string \"2 parsecs\", expected a duration",
    ),
    ("missing-id", "wf.toml:1:1: missing field `id`"),
    ("duplicate-key", "wf.toml:4:1: key `kind`: duplicate key"),
    (
        "cases-type",
        "wf.toml:20:31: node `check`: key `config.cases`: invalid type: string \"ok\", expected a map",
    ),
    (
        "unknown-kind",
        "wf.toml:13:1: node `draft`: key `kind`: unknown node kind `tempalte` (did you mean `template`?); known kinds: end, fail, interrupt, map, route, set, sleep, start, template, workflow",
    ),
    (
        "config-field",
        "wf.toml:14:45: node `draft`: key `config.ouput`: unknown field `ouput`, expected `text` or `output`",
    ),
    (
        "dangling-next",
        "wf.toml:15:1: node `draft`: key `next`: node `draft` has next `ghost`, which is not a node\nwf.toml:1:1: no end node is reachable from the start",
    ),
    (
        "dangling-route",
        "wf.toml:21:12: node `check`: key `routes`: node `check` routes `ok` to `nowhere`, which is not a node\nwf.toml:1:1: no end node is reachable from the start",
    ),
    (
        "duplicate-id",
        "wf.toml:24:1: node `draft`: key `id`: node id `draft` is used more than once\nwf.toml:21:12: node `check`: key `routes`: node `check` routes `ok` to `done`, which is not a node",
    ),
    (
        "several-starts",
        "wf.toml:14:45: node `draft`: key `config.output`: unknown field `output`, there are no fields",
    ),
    (
        "cycle",
        "wf.toml:9:1: node `start`: key `next`: cycle in next edges: start -> draft -> start (loops must use routes)\nwf.toml:1:1: no end node is reachable from the start",
    ),
    (
        "dotted-unknown",
        "wf.toml:21:1: key `config.x`: cannot extend value of type inline table with a dotted key",
    ),
    (
        "quoted-key-type",
        "wf.toml:25:10: node `done`: key `kind`: invalid type: integer `5`, expected a string",
    ),
    (
        "big-parse",
        "wf.toml:15013:11: node `n2500`: key `retries`: invalid value: integer `-1`, expected u32",
    ),
    (
        "big-malformed",
        "wf.toml:16215:1: missing comma between array elements, expected `,`",
    ),
    (
        "big-config",
        "wf.toml:16811:38: node `n2800`: key `config.bogus`: unknown field `bogus`, expected `values` or `globals`",
    ),
    (
        "big-dangling",
        "wf.toml:17412:1: node `n2900`: key `next`: node `n2900` has next `ghost`, which is not a node",
    ),
    (
        "big-kind",
        "wf.toml:18004:1: node `n2999`: key `kind`: unknown node kind `sett` (did you mean `set`?); known kinds: end, fail, interrupt, map, route, set, sleep, start, template, workflow",
    ),
];

#[test]
fn every_error_names_file_line_column_node_and_key() {
    let cases = cases();
    assert_eq!(cases.len(), EXPECTED.len());
    for ((name, text), (expected_name, expected)) in cases.iter().zip(EXPECTED) {
        assert_eq!(name, expected_name);
        let error = Workflow::from_toml("wf.toml", text)
            .err()
            .unwrap_or_else(|| panic!("case {name} loads"));
        assert_eq!(&error.to_string(), expected, "case {name}");
    }
}

#[test]
fn parse_then_build_locates_as_from_toml_does() {
    for (name, text) in cases() {
        let whole = Workflow::from_toml("wf.toml", &text)
            .err()
            .map(|e| e.to_string());
        let in_steps = WorkflowDef::parse("wf.toml", &text)
            .and_then(|def| def.build("wf.toml", &text))
            .err()
            .map(|e| e.to_string());
        assert_eq!(whole, in_steps, "case {name}");
    }
}

#[test]
fn nan_and_inf_are_refused_where_they_are_written_not_read_as_null() {
    let input = "[input]\nx = nan\n\n[[nodes]]\nid = \"start\"\nkind = \"start\"\n";
    let error = Workflow::from_toml("wf.toml", input)
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("wf.toml:1:1: key `input.x`: `nan` and `inf` are not allowed"),
        "{error}"
    );
    let config = "[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"s\"]\n\n\
                  [[nodes]]\nid = \"s\"\nkind = \"set\"\nconfig = { values = { big = inf } }\n";
    let error = Workflow::from_toml("wf.toml", config)
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("wf.toml:9:1: node `s`: key `config.values.big`: `nan` and `inf`"),
        "{error}"
    );
}

#[test]
fn an_empty_config_key_is_located_at_its_node_and_never_hangs() {
    // Found by fuzzing: searching the text for an empty key never moved on.
    let text = "[[nodes]]\nid = \"start\"\nkind = \"sleep\"\nconfig.\"\" = 1\n";
    let error = Workflow::from_toml("wf.toml", text)
        .unwrap_err()
        .to_string();
    assert!(error.contains("node `start`"), "{error}");
}
