//! A PostgreSQL server of the test's own (Debian's `postgresql`, 15): its
//! own data folder, port and socket folder, started and stopped by the
//! test — which a fault-injection test needs, and which no other test or
//! user shares. Run as the `postgres` user when the tests run as root
//! (`initdb` refuses root).

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's PostgreSQL binaries, or `None` (the test skips; a failure where
/// `KENSAKU_REQUIRE_POSTGRES=1`).
pub fn binaries() -> Option<PathBuf> {
    for version in ["17", "16", "15"] {
        let bin = PathBuf::from(format!("/usr/lib/postgresql/{version}/bin"));
        if bin.join("initdb").is_file() {
            return Some(bin);
        }
    }
    super::missing(
        "KENSAKU_REQUIRE_POSTGRES",
        "PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb)",
        "apt-get install postgresql",
    );
    None
}

/// A running (or stopped) server.
pub struct Cluster {
    bin: PathBuf,
    _dir: tempfile::TempDir,
    data: PathBuf,
    socket: PathBuf,
    pub port: u16,
    child: Option<Child>,
    as_postgres: bool,
}

impl Cluster {
    /// A new cluster, started; `None` when PostgreSQL is not installed.
    pub fn start() -> Option<Cluster> {
        let bin = binaries()?;
        let dir = tempfile::tempdir().unwrap();
        let as_postgres = unsafe { libc::geteuid() } == 0;
        // The postgres user must reach the folder.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let data = dir.path().join("data");
        let socket = dir.path().join("socket");
        for folder in [&data, &socket] {
            std::fs::create_dir(folder).unwrap();
            if as_postgres {
                chown_to_postgres(folder);
            }
        }
        let mut cluster = Cluster {
            bin,
            _dir: dir,
            data,
            socket,
            port: free_port(),
            child: None,
            as_postgres,
        };
        let status = cluster
            .command("initdb")
            .args([
                "--auth=trust",
                "--username=kensaku",
                "--encoding=UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(&cluster.data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run initdb");
        assert!(status.success(), "initdb failed");
        cluster.resume();
        Some(cluster)
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    /// Starts the server (again) and waits until it accepts connections.
    pub fn resume(&mut self) {
        let child = self
            .command("postgres")
            .arg("-D")
            .arg(&self.data)
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(&self.socket)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "max_connections=50",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start postgres");
        self.child = Some(child);
        let started = Instant::now();
        while postgres::Client::connect(&self.url("postgres"), postgres::NoTls).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "postgres did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the server now (fast shutdown: connections are cut).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGINT to the postmaster (which `runuser` may stand in front
            // of): PostgreSQL's fast shutdown.
            let pid = std::fs::read_to_string(self.data.join("postmaster.pid"))
                .ok()
                .and_then(|text| text.lines().next()?.trim().parse::<libc::pid_t>().ok())
                .unwrap_or(child.id() as libc::pid_t);
            unsafe { libc::kill(pid, libc::SIGINT) };
            let _ = child.wait();
        }
    }

    /// The URL of database `name` (created by [`Cluster::database`]).
    pub fn url(&self, name: &str) -> String {
        format!("postgres://kensaku@127.0.0.1:{}/{name}", self.port)
    }

    /// A new empty database; its URL.
    pub fn database(&self, name: &str) -> String {
        let mut client = postgres::Client::connect(&self.url("postgres"), postgres::NoTls).unwrap();
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        self.url(name)
    }

    pub fn socket_dir(&self) -> &Path {
        &self.socket
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn chown_to_postgres(path: &Path) {
    let name = std::ffi::CString::new("postgres").unwrap();
    // SAFETY: getpwnam returns a pointer to static storage or null.
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    assert!(!entry.is_null(), "no postgres user");
    let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
    let path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid C string path.
    assert_eq!(unsafe { libc::chown(path.as_ptr(), uid, gid) }, 0);
}
