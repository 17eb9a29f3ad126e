//! The OpenAPI document against the real server, fuzzed by schemathesis.
//!
//! Two passes over the demo index: with the rate limit off, for reach (every
//! operation gets its generated cases); with the default limits, for
//! conformance (429s, 413s and 415s must be documented too). Each pass
//! checks: no 5xx, no undocumented status, responses that match their
//! schemas (content type, headers, body).
//!
//! Needs schemathesis (`.ci/run` installs the pinned version into
//! `target/schemathesis`; or set `KENSAKU_SCHEMATHESIS` to an `st` binary).
//! Skips when it is absent, unless `KENSAKU_REQUIRE_SCHEMATHESIS=1`.

use crate::common;

use std::path::PathBuf;
use std::process::Command;

use common::server::Server;

/// The `st` binary, or `None` (the test skips).
fn schemathesis() -> Option<PathBuf> {
    let candidate = std::env::var_os("KENSAKU_SCHEMATHESIS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/schemathesis/bin/st")
        });
    if candidate.is_file() {
        return Some(candidate);
    }
    common::missing(
        "KENSAKU_REQUIRE_SCHEMATHESIS",
        &format!("schemathesis is not installed ({})", candidate.display()),
        "python3 -m venv target/schemathesis && target/schemathesis/bin/pip install schemathesis==4.32.5",
    );
    None
}

/// Runs schemathesis against a server started with `args`; panics with its
/// report unless every check passed.
fn fuzz(st: &PathBuf, args: &[&str], max_examples: &str) {
    const KEY: &str = "schemathesis-admin-key";
    let tmp = tempfile::tempdir().unwrap();
    // The admin routes answer too (with the key schemathesis sends).
    let server = Server::start(
        &tmp.path().join("index"),
        args,
        &[("KENSAKU_ADMIN_KEY", KEY)],
    );
    let output = Command::new(st)
        .arg("run")
        .arg(server.url("/openapi.json"))
        .args([
            "--phases",
            "examples,fuzzing",
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance",
            "--max-examples",
            max_examples,
            "--seed",
            "7",
            "--workers",
            "2",
            "--no-color",
            "--header",
            &format!("Authorization: Bearer {KEY}"),
        ])
        .env("SCHEMATHESIS_HOOKS", "")
        // Its cache goes beside the index, not into the checkout.
        .current_dir(tmp.path())
        .output()
        .expect("run schemathesis");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "schemathesis failed ({args:?}):\n{report}"
    );
    eprintln!(
        "{}",
        report.lines().rev().take(8).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_api_conforms_to_its_openapi_document() {
    let Some(st) = schemathesis() else {
        return;
    };
    // Reach: every generated case gets an answer from its handler.
    fuzz(&st, &["--rate-limit", "0"], "200");
    // Conformance under the default limits: 429s are documented too.
    fuzz(&st, &[], "100");
}
