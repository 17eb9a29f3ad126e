//! Starting the real `kensaku serve` on an ephemeral loopback port.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running server process, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
    /// Log lines written before the server reported its address.
    pub startup_log: Vec<String>,
    pub stderr_lines: mpsc::Receiver<String>,
}

impl Server {
    /// Starts `kensaku serve --addr 127.0.0.1:0` with `args` and `env`.
    pub fn start(index: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        Self::start_through(&[], index, args, env)
    }

    /// [`Server::start`] through a command that runs it (`setpriv …`).
    pub fn start_through(
        wrapper: &[&str],
        index: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        let binary = env!("CARGO_BIN_EXE_kensaku");
        let mut command = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut command = Command::new(program);
                command.args(rest).arg(binary);
                command
            }
            None => Command::new(binary),
        };
        command
            .args(["serve", "--addr", "127.0.0.1:0", "--index-dir"])
            .arg(index)
            .args(args)
            .env_remove("KENSAKU_ADMIN_KEY")
            .env("KENSAKU_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start kensaku serve");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut startup_log = Vec::new();
        let base = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(120))
                .unwrap_or_else(|_| {
                    panic!("the server did not report its address: {startup_log:#?}")
                });
            if let Some(rest) = line.strip_prefix("kensaku listening on ") {
                break rest
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .trim_end_matches('/')
                    .to_string();
            }
            startup_log.push(line);
        };
        Server {
            child,
            base,
            startup_log,
            stderr_lines: rx,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends SIGTERM, waits for the exit status and returns it with every
    /// log line not yet received (all of them, up to the end of stderr).
    pub fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut lines = Vec::new();
                // The reader thread ends at the end of stderr.
                while let Ok(line) = self.stderr_lines.recv_timeout(Duration::from_secs(10)) {
                    lines.push(line);
                }
                return (status, lines);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the server did not stop within 10 s of SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}
