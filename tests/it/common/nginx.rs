//! nginx for the tests: a load balancer in front of kensaku replicas, or a
//! static site to crawl.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::server::client;

/// Debian's nginx, or `None` (the test skips; a failure where
/// `KENSAKU_REQUIRE_NGINX=1`).
pub fn binary() -> Option<PathBuf> {
    let found = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        super::missing(
            "KENSAKU_REQUIRE_NGINX",
            "nginx is not installed",
            "apt-get install nginx",
        );
    }
    found
}

/// nginx in the foreground with its own prefix, config and temp folders.
pub struct Nginx {
    child: Child,
    pub base: String,
}

impl Nginx {
    /// Balances `upstreams` round-robin, retrying idempotent requests.
    pub fn start(binary: &Path, dir: &Path, upstreams: &[String]) -> Nginx {
        let servers: String = upstreams
            .iter()
            .map(|u| {
                format!(
                    "    server {} max_fails=1 fail_timeout=10s;\n",
                    u.trim_start_matches("http://")
                )
            })
            .collect();
        let http = format!(
            "  access_log off;
  upstream kensaku {{
{servers}    keepalive 16;
  }}"
        );
        let server = "    location / {
      proxy_pass http://kensaku;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_next_upstream error timeout http_502 http_503;
      proxy_next_upstream_tries 3;
      proxy_connect_timeout 1s;
    }";
        let nginx = Self::start_with(binary, dir, free_port(), &http, server);
        nginx.wait_for("/health", dir);
        nginx
    }

    /// Serves the folder `root` as a static site on `port` (ETag and
    /// Last-Modified, as nginx always sends them), with `locations` added to
    /// its server block; requests are logged to `<dir>/access.log`
    /// (`METHOD PATH STATUS`).
    pub fn static_site(
        binary: &Path,
        dir: &Path,
        port: u16,
        root: &Path,
        locations: &str,
    ) -> Nginx {
        let log = dir.join("access.log");
        let http = format!(
            "  log_format brief '$request_method $uri $status';
  access_log {} brief;
  include /etc/nginx/mime.types;",
            log.display()
        );
        let server = format!("    root {};\n{locations}", root.display());
        let nginx = Self::start_with(binary, dir, port, &http, &server);
        nginx.wait_for("/", dir);
        nginx
    }

    fn start_with(binary: &Path, dir: &Path, port: u16, http: &str, server: &str) -> Nginx {
        std::fs::create_dir_all(dir).unwrap();
        // Workers run as root only when the master does (CI); otherwise the
        // directive is ignored.
        let user = if unsafe { libc::geteuid() } == 0 {
            "user root;"
        } else {
            ""
        };
        let d = dir.display();
        let config = format!(
            "{user}
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
{http}
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  server {{
    listen 127.0.0.1:{port};
{server}
  }}
}}
"
        );
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config).unwrap();
        let child = Command::new(binary)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&conf)
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group: the workers are stopped with it.
            .process_group(0)
            .spawn()
            .expect("start nginx");
        Nginx {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Waits until `path` answers at all.
    fn wait_for(&self, path: &str, dir: &Path) {
        let started = Instant::now();
        while client().get(format!("{}{path}", self.base)).send().is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nginx did not start: {:?}",
                std::fs::read_to_string(dir.join("error.log"))
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Drop for Nginx {
    /// Stops the master and its workers: SIGTERM (the master stops its
    /// workers), then SIGKILL to the whole group if it lingers. Killing the
    /// master alone would orphan a worker that keeps the port.
    fn drop(&mut self) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: signals to the process group this test started.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        unsafe { libc::kill(-pid, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}
