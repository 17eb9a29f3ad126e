//! The command line as a user runs it: output into a pipe that closes
//! early, and what a one-query process loads.

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};

const KENSAKU: &str = env!("CARGO_BIN_EXE_kensaku");

/// The demo corpus indexed into `dir` by the real binary.
fn demo_index(dir: &Path) {
    let status = Command::new(KENSAKU)
        .args(["index", "--index-dir"])
        .arg(dir)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

/// Runs `kensaku args…` with its stdout a pipe whose reader reads `take`
/// bytes and closes it; returns the exit status and stderr.
fn into_closed_pipe(args: &[&str], take: usize) -> (std::process::ExitStatus, String) {
    let mut child = Command::new(KENSAKU)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = vec![0; take];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (child.wait().unwrap(), stderr)
}

#[test]
fn a_closed_pipe_ends_every_printing_command_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("index");
    demo_index(&index);
    let index = index.to_str().unwrap();
    // Output longer than a pipe's buffer, so that writing must meet the
    // closed pipe: many hits as JSON, the demo corpus exported, a long text
    // analyzed.
    let long_text = "kensaku indexes support articles ".repeat(3000);
    let commands: Vec<Vec<&str>> = vec![
        vec![
            "search",
            "--index-dir",
            index,
            "--json",
            "--limit",
            "100",
            "kensaku",
        ],
        vec!["export"],
        vec!["analyze", "--locale", "en-us", &long_text],
    ];
    for args in commands {
        let (status, stderr) = into_closed_pipe(&args, 1);
        assert!(status.success(), "{}: {status}, stderr: {stderr}", args[0]);
        assert!(!stderr.contains("panicked"), "{}: {stderr}", args[0]);
        assert!(!stderr.contains("Broken pipe"), "{}: {stderr}", args[0]);
    }
}

#[test]
fn a_latin_query_loads_no_japanese_or_korean_dictionary() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("index");
    demo_index(&index);
    let search = |locale: &str, query: &str| {
        let out = Command::new(KENSAKU)
            .args(["search", "--index-dir"])
            .arg(&index)
            .args(["--locale", locale, query])
            .env("KENSAKU_LOG", "kensaku=debug")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let latin = search("en-us", "synonyms");
    assert!(!latin.contains("dictionary loaded"), "{latin}");
    let japanese = search("ja-jp", "検索");
    assert!(japanese.contains("dictionary loaded: IPADIC"), "{japanese}");
    assert!(!japanese.contains("ko-dic"), "{japanese}");
}
