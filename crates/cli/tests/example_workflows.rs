//! Every example workflow runs by the command on its first line (`# Run: cargo run -p
//! nadoo-flow-cli -- ARGS`), and by the `# Then:` lines after it, with the exit code the line
//! announces (`(exits with 1…)`, else 0), from the repository's root and with a run store
//! of the test's own.

#![cfg(feature = "native")]

use std::path::{Path, PathBuf};
use std::process::Command;

const PREFIX: &str = "cargo run -p nadoo-flow-cli -- ";

/// The repository's root, where the commands are written to be run.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The commands of `text`'s leading comment: (arguments, expected exit code).
fn commands(file: &Path, text: &str) -> Vec<(Vec<String>, i32)> {
    let mut commands = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let Some(command) = line
            .strip_prefix("# Run: ")
            .or_else(|| line.strip_prefix("# Then: "))
        else {
            continue;
        };
        let command = command
            .strip_prefix(PREFIX)
            .unwrap_or_else(|| panic!("{}:{}: not `{PREFIX}…`", file.display(), number + 1));
        let (args, note) = command.split_once('(').unwrap_or((command, ""));
        let code = if note.starts_with("exits with 1") {
            1
        } else {
            0
        };
        commands.push((args.split_whitespace().map(str::to_owned).collect(), code));
    }
    assert!(
        text.starts_with("# Run: "),
        "{}: the first line is not its run command",
        file.display()
    );
    commands
}

#[test]
fn every_example_workflow_runs_by_its_own_command() {
    let dir = root().join("examples/workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/workflows")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.iter().any(|f| f.ends_with("map.toml")), "{files:?}");
    assert!(files.iter().any(|f| f.ends_with("sub.toml")), "{files:?}");
    let state = tempfile::tempdir().expect("a temp dir");
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        for (args, code) in commands(&file, &text) {
            let out = Command::new(env!("CARGO_BIN_EXE_nadoo-flow"))
                .args(&args)
                .current_dir(root())
                .env_remove("NADOO_BACKEND")
                .env_remove("NADOO_CONFIG")
                .env_remove("NADOO_STORE")
                .env_remove("RUST_LOG")
                .env("XDG_STATE_HOME", state.path())
                .output()
                .expect("the binary runs");
            assert_eq!(
                out.status.code(),
                Some(code),
                "nadoo-flow {}\nstdout: {}\nstderr: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
