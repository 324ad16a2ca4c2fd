//! Big workflow files, shared by `toml_load` and `rss_probe`.

use std::fmt::Write as _;

/// A chain of `n` template nodes in TOML.
pub(crate) fn template_chain(n: usize) -> String {
    let mut text = String::from("name = \"big\"\nmax_steps = 20000\n\n[input]\nname = \"x\"\n\n");
    let _ = writeln!(
        text,
        "[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"n0\"]\n"
    );
    for i in 0..n {
        let _ = writeln!(
            text,
            "[[nodes]]\nid = \"n{i}\"\nkind = \"template\"\nconfig = {{ text = \"step {i} for {{{{name}}}}\" }}\nnext = [\"n{}\"]\n",
            i + 1
        );
    }
    let _ = writeln!(text, "[[nodes]]\nid = \"n{n}\"\nkind = \"end\"");
    text
}

/// A chain of `n` `set` nodes in TOML, the file `nadoo-flow run` is timed on.
pub(crate) fn set_chain(n: usize) -> String {
    let mut text = String::from("name = \"chain\"\nmax_steps = 20000\n\n");
    let _ = writeln!(
        text,
        "[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"n0\"]\n"
    );
    for i in 0..n {
        let _ = writeln!(
            text,
            "[[nodes]]\nid = \"n{i}\"\nkind = \"set\"\nconfig = {{ values = {{ step = {i} }} }}\nnext = [\"n{}\"]\n",
            i + 1
        );
    }
    let _ = writeln!(text, "[[nodes]]\nid = \"n{n}\"\nkind = \"end\"");
    text
}
