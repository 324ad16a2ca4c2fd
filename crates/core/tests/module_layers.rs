//! The core crate's top-level modules form layers: each imports (`crate::x` paths, outside
//! its unit tests) only modules listed before it in `ARCHITECTURE.md`. So the module graph has
//! no cycle, and the document matches the code.
//!
//! Run it alone: `cargo test -p nadoo-flow-core --test module_layers`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers as `ARCHITECTURE.md` lists them, lowest first: the module names in backticks at
/// the start of each line of its "Layers" list.
fn layers(architecture: &str) -> Vec<String> {
    let list = architecture
        .split("## Layers")
        .nth(1)
        .expect("ARCHITECTURE.md has a `## Layers` section");
    list.lines()
        .take_while(|line| !line.starts_with("## "))
        .filter_map(|line| line.trim().strip_prefix(|c: char| c.is_ascii_digit()))
        .filter_map(|rest| {
            let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
            let name = rest.trim().strip_prefix('`')?;
            Some(name[..name.find('`')?].to_owned())
        })
        .collect()
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The crate modules `text` imports: `crate::x` and `crate::{x, y}` outside comments and
/// before its unit tests.
fn imports(text: &str) -> BTreeSet<String> {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(tests) => &text[..tests],
        None => text,
    };
    let mut found = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or_default();
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for item in group.split(',') {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    found.insert(name);
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.insert(name);
            }
        }
    }
    found
}

/// The module of each item the crate root re-exports (`pub use crate::graph::workflow::{Workflow,
/// ..}` maps `Workflow` to `graph`), so that `crate::Workflow` counts as importing `graph`.
fn root_exports(lib: &str) -> BTreeMap<String, String> {
    let mut exports = BTreeMap::new();
    for statement in lib.split(';') {
        let Some(path) = statement.trim().strip_prefix("pub use crate::") else {
            continue;
        };
        let module: String = path
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let names = match (path.find('{'), path.rfind('}')) {
            (Some(open), Some(close)) => path[open + 1..close].to_owned(),
            _ => path.rsplit("::").next().unwrap_or_default().to_owned(),
        };
        for name in names.split(',') {
            let name = name.split_whitespace().last().unwrap_or_default();
            if !name.is_empty() {
                exports.insert(name.to_owned(), module.clone());
            }
        }
    }
    exports
}

#[test]
fn each_module_imports_only_layers_below_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let architecture = std::fs::read_to_string(root.join("../../ARCHITECTURE.md"))
        .expect("ARCHITECTURE.md at the workspace root");
    let order = layers(&architecture);
    let rank: BTreeMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, name)| (name.as_str(), i))
        .collect();

    let src = root.join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("src/lib.rs");
    let exports = root_exports(&lib);
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut modules: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src/");
        let top = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|name| name.trim_end_matches(".rs").to_owned())
            .unwrap_or_default();
        if top == "lib" || top == "private" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        modules.entry(top).or_default().extend(imports(&text));
    }

    let mut wrong = Vec::new();
    for (module, imported) in &modules {
        let Some(&level) = rank.get(module.as_str()) else {
            wrong.push(format!(
                "module `{module}` is not in ARCHITECTURE.md's layers"
            ));
            continue;
        };
        for other in imported {
            let other = exports.get(other).unwrap_or(other);
            match rank.get(other.as_str()) {
                Some(&below) if below < level => {}
                Some(_) if other == module => {}
                Some(_) => wrong.push(format!(
                    "`{module}` imports `{other}`, which is not below it"
                )),
                // What the root re-exports from other crates, and macros.
                None => {}
            }
        }
    }
    for listed in &order {
        if !modules.contains_key(listed) {
            wrong.push(format!(
                "ARCHITECTURE.md lists `{listed}`, which src/ does not have"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_check_sees_imports_and_groups() {
    let text = "use crate::error::Result;\nuse crate::{graph, node};\n// crate::config\n\
                #[cfg(test)]\nmod tests {\n    use crate::registry;\n}\n";
    let found: Vec<String> = imports(text).into_iter().collect();
    assert_eq!(found, ["error", "graph", "node"]);
    let exports = root_exports(
        "pub use crate::graph::workflow::{\n    NodeSpec, Workflow,\n};\npub use crate::error::Error;\npub use tokio_util::sync::CancellationToken;",
    );
    assert_eq!(exports.get("Workflow").map(String::as_str), Some("graph"));
    assert_eq!(exports.get("Error").map(String::as_str), Some("error"));
    assert_eq!(exports.get("CancellationToken"), None);
}
