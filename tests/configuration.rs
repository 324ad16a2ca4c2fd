//! Settings from code, nadoo.toml and the environment: every source, every precedence rule,
//! and every bad value naming where it came from.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::time::Duration;

use nadoo_flow::{ConfigFile, EngineOptions, EnvConfig, Error, Explicit, SettingSource, Settings};

/// An environment made of `pairs`.
fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |var| map.get(var).cloned()
}

/// A nadoo.toml with `text` in a fresh temp dir.
fn config_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("nadoo.toml");
    std::fs::write(&path, text).expect("writes");
    let path = path.display().to_string();
    (dir, path)
}

const FILE: &str = "[registry]\ndefault = \"from-file\"\n\n[execution]\nmax_workers = 2\nmax_retries = 1\ntimeout = \"10s\"\ndebug = false\n\n[backends.native]\n";

#[test]
fn backend_name_precedence_is_explicit_then_env_then_file_then_default() {
    let (_dir, path) = config_file(FILE);
    let explicit = Explicit::new().config_path(&path);
    let all = env(&[("NADOO_BACKEND", "from-env")]);

    let s = Settings::resolve_with(explicit.clone().backend("from-flag"), &all).expect("resolves");
    assert_eq!(
        (s.backend.as_str(), s.backend_source.as_str()),
        ("from-flag", "explicit")
    );

    let s = Settings::resolve_with(explicit.clone(), &all).expect("resolves");
    assert_eq!(
        (s.backend.as_str(), s.backend_source.as_str()),
        ("from-env", "NADOO_BACKEND")
    );

    let s = Settings::resolve_with(explicit, env(&[])).expect("resolves");
    assert_eq!(
        (s.backend.as_str(), s.backend_source.as_str()),
        ("from-file", "[registry] default")
    );

    let s = Settings::resolve_with(Explicit::new(), env(&[])).expect("resolves");
    assert_eq!(
        (s.backend.as_str(), s.backend_source.as_str()),
        ("native", "default")
    );
}

#[test]
fn engine_options_merge_key_by_key_in_precedence_order() {
    let (_dir, path) = config_file(FILE);
    let explicit = Explicit::new()
        .config_path(&path)
        .engine(EngineOptions::new().max_retries(5));
    let s = Settings::resolve_with(
        explicit,
        env(&[("NADOO_MAX_WORKERS", "8"), ("NADOO_DEBUG", "true")]),
    )
    .expect("resolves");
    assert_eq!(s.engine.max_retries, Some(5), "explicit beats the file");
    assert_eq!(
        s.engine.max_workers,
        NonZeroUsize::new(8),
        "env beats the file"
    );
    assert_eq!(s.engine.debug, Some(true), "env beats the file");
    assert_eq!(
        s.engine.timeout,
        Some(Duration::from_secs(10)),
        "the file beats defaults"
    );
    assert_eq!(
        s.engine.enable_caching, None,
        "nothing sets it: the default applies"
    );
}

#[test]
fn nadoo_config_names_the_file_when_no_flag_does() {
    let (_dir, path) =
        config_file("[registry]\ndefault = \"native\"\n[execution]\nmax_retries = 4\n");
    let s =
        Settings::resolve_with(Explicit::new(), env(&[("NADOO_CONFIG", &path)])).expect("resolves");
    assert_eq!(s.engine.max_retries, Some(4));

    let (_other_dir, other) = config_file("[execution]\nmax_retries = 7\n");
    let s = Settings::resolve_with(
        Explicit::new().config_path(&other),
        env(&[("NADOO_CONFIG", &path)]),
    )
    .expect("resolves");
    assert_eq!(s.engine.max_retries, Some(7), "--config beats NADOO_CONFIG");
}

#[test]
fn resolved_settings_make_a_backend_with_the_engine_options() {
    let (_dir, path) = config_file("[execution]\nmax_workers = 3\nmax_retries = 2\n");
    let s = Settings::resolve_with(Explicit::new().config_path(&path), env(&[])).expect("resolves");
    let backend = s.create_backend().expect("native is linked");
    let options = backend.execution_options();
    assert_eq!((options.max_workers.get(), options.max_retries), (3, 2));
}

#[test]
fn bad_environment_values_name_the_variable_and_value() {
    for (var, value, message) in [
        (
            "NADOO_MAX_WORKERS",
            "abc",
            "NADOO_MAX_WORKERS=\"abc\": expected a positive integer",
        ),
        (
            "NADOO_MAX_WORKERS",
            "0",
            "NADOO_MAX_WORKERS=\"0\": expected a positive integer",
        ),
        (
            "NADOO_MAX_WORKERS",
            "-2",
            "NADOO_MAX_WORKERS=\"-2\": expected a positive integer",
        ),
        (
            "NADOO_DEBUG",
            "maybe",
            "NADOO_DEBUG=\"maybe\": expected true or false",
        ),
    ] {
        let err = EnvConfig::from_lookup(env(&[(var, value)])).unwrap_err();
        assert_eq!(err.to_string(), message);
        let Error::InvalidSetting {
            origin: SettingSource::Env { var: named, .. },
            ..
        } = &err
        else {
            panic!("expected an environment InvalidSetting, got {err}");
        };
        assert_eq!(*named, var);
    }
    let debug = EnvConfig::from_lookup(env(&[("NADOO_DEBUG", "1")])).expect("valid");
    assert_eq!(debug.engine.debug, Some(true));
}

#[test]
fn bad_file_values_name_file_line_and_key() {
    let cases = [
        (
            "[execution]\nmax_workers = 0\n",
            2,
            "execution.max_workers",
            "invalid value: integer `0`, expected a nonzero usize",
        ),
        (
            "[execution]\nmax_workers = -1\n",
            2,
            "execution.max_workers",
            "invalid value: integer `-1`, expected a nonzero usize",
        ),
        (
            "\n[execution]\ntimeout = \"soon\"\n",
            3,
            "execution.timeout",
            "expected",
        ),
        (
            "[execution]\ndebug = \"yes\"\n",
            2,
            "execution.debug",
            "invalid type: string \"yes\", expected a boolean",
        ),
        (
            "[execution]\nmax_worker = 2\n",
            2,
            "execution.max_worker",
            "unknown field `max_worker`",
        ),
        (
            "[registy]\ndefault = \"native\"\n",
            1,
            "",
            "unknown field `registy`",
        ),
    ];
    for (text, line, key, message) in cases {
        let err = ConfigFile::parse("nadoo.toml", text).unwrap_err();
        let Error::InvalidSetting {
            origin,
            key: named,
            message: said,
        } = &err
        else {
            panic!("expected InvalidSetting, got {err}");
        };
        assert_eq!(
            origin,
            &SettingSource::File {
                file: "nadoo.toml".into(),
                line
            },
            "{text}"
        );
        if !key.is_empty() {
            assert_eq!(named.as_deref(), Some(key), "{text}");
        }
        assert!(said.contains(message), "{text}: {said}");
        assert!(
            err.to_string().starts_with(&format!("nadoo.toml:{line}: ")),
            "{err}"
        );
    }
}

#[test]
fn a_bad_backend_setting_in_the_file_names_its_line_and_key() {
    let (_dir, path) =
        config_file("[registry]\ndefault = \"native\"\n\n[backends.native]\nworkers = 3\n");
    let s = Settings::resolve_with(Explicit::new().config_path(&path), env(&[])).expect("resolves");
    let err = s.create_backend().unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "{path}:5: key `backends.native.workers`: unknown field `workers`"
        )),
        "{text}"
    );
}

#[test]
fn an_unknown_backend_in_the_environment_is_a_registry_error() {
    let s = Settings::resolve_with(Explicit::new(), env(&[("NADOO_BACKEND", "natve")]))
        .expect("resolves");
    let err = s.create_backend().unwrap_err();
    assert!(
        matches!(
            err,
            Error::UnknownBackend {
                suggestion: Some("native"),
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn secrets_never_reach_debug_output() {
    let (_dir, path) = config_file(
        "[backends.native]\npassword = \"hunter2\"\nauth_token = \"t0ps3cret\"\nregion = \"eu\"\n",
    );
    let s = Settings::resolve_with(Explicit::new().config_path(&path), env(&[])).expect("resolves");
    let shown = format!("{s:?}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("t0ps3cret"),
        "{shown}"
    );
    assert!(
        shown.contains("<redacted>") && shown.contains("\"eu\""),
        "{shown}"
    );
}
