//! Server configuration: flags, then `KENSAKU_*` environment variables, then
//! an optional TOML file, then defaults — in that order of precedence.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use serde::Deserialize;

use ipnet::IpNet;

use crate::analytics::AnalyticsConfig;
use crate::analytics::store::Location;
use crate::article::UrlTemplate;
use crate::curation::CurationConfig;
use crate::embed::config::EmbedderArgs;
use crate::index::embedding::{EmbedOptions, VectorArgs};
use crate::index::vectors::VectorFormat;
use crate::source::SourceArgs;

/// Largest accepted request body (a search's JSON parameters).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// `kensaku serve` arguments. Every option may also come from the
/// environment (`KENSAKU_…`) or the TOML file given by `--config`.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// TOML configuration file (keys as the long flags, with `_` for `-`).
    #[arg(long, env = "KENSAKU_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:7700].
    #[arg(long, env = "KENSAKU_ADDR")]
    pub addr: Option<SocketAddr>,
    /// Index folder [default: index].
    #[arg(long, env = "KENSAKU_INDEX_DIR")]
    pub index_dir: Option<PathBuf>,
    /// What to index when there is no index yet, and to reindex from.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Article URL template with `{locale}` and `{path}` (markdown); a
    /// site's root URL [default: /docs/{locale}/{path}; a site's own paths].
    #[arg(long, env = "KENSAKU_BASE_URL")]
    pub base_url: Option<String>,
    /// Origin allowed to call the API from a browser (repeatable; `*` for any)
    /// [default: none].
    #[arg(
        long = "cors-origin",
        env = "KENSAKU_CORS_ORIGIN",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// Requests per second allowed per client address, 0 to disable [default: 50].
    #[arg(long, env = "KENSAKU_RATE_LIMIT")]
    pub rate_limit: Option<u64>,
    /// Burst of requests allowed per client above the rate [default: 100].
    #[arg(long, env = "KENSAKU_RATE_BURST")]
    pub rate_burst: Option<u32>,
    /// HTTP worker threads [default: number of cores].
    #[arg(long, env = "KENSAKU_WORKERS")]
    pub workers: Option<usize>,
    /// Seconds between checks for index generations published by other
    /// processes, 0 to disable [default: 2].
    #[arg(long, env = "KENSAKU_RELOAD_INTERVAL")]
    pub reload_interval: Option<u64>,
    /// Log format: `text` or `json` [default: text].
    #[arg(long, env = "KENSAKU_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
    /// Address or network (CIDR) of a reverse proxy whose `X-Forwarded-For`
    /// names the client, for rate limiting (repeatable) [default: none].
    #[arg(
        long = "trusted-proxy",
        env = "KENSAKU_TRUSTED_PROXY",
        value_delimiter = ',',
        value_parser = parse_network
    )]
    pub trusted_proxies: Vec<IpNet>,
    #[command(flatten)]
    pub embedder: EmbedderArgs,
    #[command(flatten)]
    pub vectors: VectorArgs,
    #[command(flatten)]
    pub curation: CurationConfig,
    /// Search analytics: `on` or `off` [default: on].
    #[arg(long, env = "KENSAKU_ANALYTICS")]
    pub analytics: Option<Switch>,
    /// Folder of the analytics database (SQLite, one process) [default:
    /// `analytics` beside the index folder].
    #[arg(long, env = "KENSAKU_ANALYTICS_DIR")]
    pub analytics_dir: Option<PathBuf>,
    /// PostgreSQL database for analytics, shared by every replica
    /// (`postgres://user:password@host/db`, `?sslmode=require` for TLS);
    /// instead of the folder.
    #[arg(long, env = "KENSAKU_ANALYTICS_URL", hide_env_values = true)]
    pub analytics_url: Option<String>,
    /// Days of analytics kept [default: 90].
    #[arg(long, env = "KENSAKU_ANALYTICS_RETENTION_DAYS")]
    pub analytics_retention_days: Option<u32>,
}

/// A feature switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// The TOML file. The admin key may be set here or in `KENSAKU_ADMIN_KEY`
/// (never as a flag: flags are visible to every user of the machine).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    addr: Option<SocketAddr>,
    index_dir: Option<PathBuf>,
    corpus: Option<PathBuf>,
    site: Option<PathBuf>,
    crawl: Option<String>,
    default_locale: Option<crate::locale::Locale>,
    crawl_concurrency: Option<usize>,
    crawl_max_pages: Option<usize>,
    crawl_timeout_ms: Option<u64>,
    base_url: Option<String>,
    cors_origins: Option<Vec<String>>,
    rate_limit: Option<u64>,
    rate_burst: Option<u32>,
    workers: Option<usize>,
    reload_interval: Option<u64>,
    log_format: Option<LogFormat>,
    trusted_proxies: Option<Vec<String>>,
    admin_key: Option<String>,
    /// `[embedder]`: url, model, dimensions, query_prefix, passage_prefix,
    /// modality_field, timeout_ms, batch, concurrency.
    embedder: Option<EmbedderArgs>,
    vector_format: Option<VectorFormat>,
    embedding_cache: Option<PathBuf>,
    lexical_fallback: Option<bool>,
    synonyms: Option<PathBuf>,
    pins: Option<PathBuf>,
    analytics: Option<Switch>,
    analytics_dir: Option<PathBuf>,
    analytics_url: Option<String>,
    analytics_retention_days: Option<u32>,
}

/// An address (`10.0.0.2`) or a network (`172.16.0.0/12`).
fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is not an IP address or network"))
}

/// A secret compared in constant time and never printed.
#[derive(Clone)]
pub struct AdminKey(blake3::Hash);

impl AdminKey {
    pub fn new(key: &str) -> Option<AdminKey> {
        let key = key.trim();
        (!key.is_empty()).then(|| AdminKey(blake3::hash(key.as_bytes())))
    }

    /// Constant-time comparison of hashes: neither the content nor the
    /// length of the key leaks through timing.
    pub fn matches(&self, candidate: &str) -> bool {
        use subtle::ConstantTimeEq;
        let candidate = blake3::hash(candidate.as_bytes());
        self.0.as_bytes().ct_eq(candidate.as_bytes()).into()
    }
}

impl fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminKey(<redacted>)")
    }
}

/// Resolved configuration.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub addr: SocketAddr,
    pub index_dir: PathBuf,
    /// Where documents come from.
    pub source: SourceArgs,
    /// `--base-url` as given (a site's root URL).
    pub base_url: Option<String>,
    pub urls: UrlTemplate,
    pub cors_origins: Vec<String>,
    pub rate_limit: u64,
    pub rate_burst: u32,
    pub workers: usize,
    pub reload_interval: Option<Duration>,
    pub log_format: LogFormat,
    pub trusted_proxies: Vec<IpNet>,
    pub admin_key: Option<AdminKey>,
    /// How builds embed, and the query embedder's settings (none: lexical).
    pub embed: Option<EmbedOptions>,
    /// Curated synonyms and pins.
    pub curation: CurationConfig,
    /// Search analytics (none: off).
    pub analytics: Option<AnalyticsConfig>,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    pub client_request_timeout: Duration,
    pub shutdown_timeout: Duration,
}

impl ServerConfig {
    /// Merges flags/environment (already in `args`), the TOML file and defaults.
    pub fn resolve(args: ServeArgs) -> anyhow::Result<ServerConfig> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let admin_key = std::env::var("KENSAKU_ADMIN_KEY")
            .ok()
            .or(file.admin_key.clone());
        let index_dir = args
            .index_dir
            .clone()
            .or(file.index_dir.clone())
            .unwrap_or_else(|| PathBuf::from("index"));
        let analytics = analytics_config(&args, &file, &index_dir);
        Ok(ServerConfig {
            addr: args
                .addr
                .or(file.addr)
                .unwrap_or_else(|| ([127, 0, 0, 1], 7700).into()),
            index_dir: index_dir.clone(),
            source: args.source.or(SourceArgs {
                corpus: file.corpus,
                site: file.site,
                crawl: file.crawl,
                default_locale: file.default_locale,
                crawl_concurrency: file.crawl_concurrency,
                crawl_max_pages: file.crawl_max_pages,
                crawl_timeout_ms: file.crawl_timeout_ms,
            }),
            base_url: args.base_url.clone().or(file.base_url.clone()),
            urls: UrlTemplate::new(
                args.base_url
                    .or(file.base_url)
                    .unwrap_or_else(|| UrlTemplate::DEFAULT.to_string()),
            ),
            cors_origins: if args.cors_origins.is_empty() {
                file.cors_origins.unwrap_or_default()
            } else {
                args.cors_origins
            },
            rate_limit: args.rate_limit.or(file.rate_limit).unwrap_or(50),
            rate_burst: args.rate_burst.or(file.rate_burst).unwrap_or(100).max(1),
            workers: args
                .workers
                .or(file.workers)
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
                .max(1),
            reload_interval: match args.reload_interval.or(file.reload_interval).unwrap_or(2) {
                0 => None,
                secs => Some(Duration::from_secs(secs)),
            },
            log_format: args
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
            trusted_proxies: if args.trusted_proxies.is_empty() {
                file.trusted_proxies
                    .unwrap_or_default()
                    .iter()
                    .map(|t| parse_network(t))
                    .collect::<Result<_, _>>()
                    .map_err(anyhow::Error::msg)
                    .context("trusted_proxies in the configuration file")?
            } else {
                args.trusted_proxies
            },
            admin_key: admin_key.as_deref().and_then(AdminKey::new),
            embed: args
                .vectors
                .clone()
                .or(VectorArgs {
                    vector_format: file.vector_format,
                    embedding_cache: file.embedding_cache.clone(),
                    lexical_fallback: file.lexical_fallback.unwrap_or(false),
                })
                .embed_options(&args.embedder.clone().or(file.embedder.unwrap_or_default())),
            curation: CurationConfig {
                synonyms: args.curation.synonyms.clone().or(file.synonyms),
                pins: args.curation.pins.clone().or(file.pins),
            },
            analytics,
            max_body_bytes: MAX_BODY_BYTES,
            client_request_timeout: Duration::from_secs(5),
            shutdown_timeout: Duration::from_secs(10),
        })
    }
}

/// Analytics, unless switched off: its folder (beside the index folder by
/// default) and retention.
fn analytics_config(
    args: &ServeArgs,
    file: &FileConfig,
    index_dir: &Path,
) -> Option<AnalyticsConfig> {
    match args.analytics.or(file.analytics).unwrap_or(Switch::On) {
        Switch::Off => None,
        Switch::On => Some(AnalyticsConfig {
            location: match args
                .analytics_url
                .clone()
                .or_else(|| file.analytics_url.clone())
                .filter(|u| !u.trim().is_empty())
            {
                Some(url) => Location::Postgres(url),
                None => Location::Sqlite(
                    args.analytics_dir
                        .clone()
                        .or_else(|| file.analytics_dir.clone())
                        .unwrap_or_else(|| crate::analytics::default_dir(index_dir)),
                ),
            },
            retention_days: args
                .analytics_retention_days
                .or(file.analytics_retention_days)
                .unwrap_or(90)
                .max(1),
        }),
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("{}: invalid configuration", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_file_and_file_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kensaku.toml");
        std::fs::write(&path, "addr = \"0.0.0.0:8000\"\nrate_limit = 7\ncors_origins = [\"https://docs.example.com\"]\n").unwrap();
        let config = ServerConfig::resolve(ServeArgs {
            config: Some(path),
            rate_limit: Some(9),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(config.addr.to_string(), "0.0.0.0:8000", "from the file");
        assert_eq!(config.rate_limit, 9, "the flag wins");
        assert_eq!(config.cors_origins, ["https://docs.example.com"]);
        assert_eq!(config.index_dir, PathBuf::from("index"), "default");
    }

    #[test]
    fn the_file_takes_the_vector_settings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kensaku.toml");
        std::fs::write(
            &path,
            "vector_format = \"int8\"\nembedding_cache = \"/tmp/cache\"\nlexical_fallback = true\n[embedder]\nurl = \"http://127.0.0.1:1\"\n",
        )
        .unwrap();
        let config = ServerConfig::resolve(ServeArgs {
            config: Some(path),
            ..Default::default()
        })
        .unwrap();
        let embed = config.embed.expect("an embedder is configured");
        assert_eq!(embed.format, VectorFormat::Int8);
        assert!(embed.lexical_fallback);
        assert_eq!(embed.cache_dir, Some(PathBuf::from("/tmp/cache")));
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        assert!(
            parse_network("10.0.0.2")
                .unwrap()
                .contains(&"10.0.0.2".parse::<std::net::IpAddr>().unwrap())
        );
        assert!(
            parse_network("172.16.0.0/12")
                .unwrap()
                .contains(&"172.20.1.1".parse::<std::net::IpAddr>().unwrap())
        );
        assert!(parse_network("::1").is_ok());
        assert!(parse_network("proxy.local").is_err());
    }

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kensaku.toml");
        std::fs::write(&path, "adr = \"typo\"\n").unwrap();
        let error = ServerConfig::resolve(ServeArgs {
            config: Some(path),
            ..Default::default()
        })
        .unwrap_err();
        assert!(format!("{error:#}").contains("unknown field"), "{error:#}");
    }

    #[test]
    fn admin_key_matches_only_itself_and_never_prints() {
        let key = AdminKey::new("s3cret").unwrap();
        assert!(key.matches("s3cret"));
        assert!(!key.matches("s3cre"));
        assert!(!key.matches(""));
        assert!(!format!("{key:?}").contains("s3cret"));
        assert!(AdminKey::new("  ").is_none());
    }
}
