//! The HTTP server (actix-web): search API, admin, metrics, the embeddable
//! search box and a small demo docs site.
//!
//! This is the only module that knows about HTTP; it maps requests onto
//! [`crate::search::Engine`] and [`crate::index`] and their results onto JSON.

mod admin;
pub mod config;
mod error;
mod metrics;
pub mod openapi;
mod pages;
mod routes;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use actix_governor::{Governor, GovernorConfigBuilder, KeyExtractor, SimpleKeyExtractionError};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::{Compress, Condition, DefaultHeaders, Next, from_fn};
use actix_web::{App, HttpResponse, HttpResponseBuilder, HttpServer, web};
use anyhow::Context as _;

use crate::index::{self, BuildOptions, Corpus, IndexDir};
use crate::search::Engine;

pub use config::{ServeArgs, ServerConfig};
use error::{ApiError, ErrorBody};
use routes::AppState;

/// The search box and demo-site assets, compiled in.
const WIDGET_JS: &str = include_str!("../../web/widget.js");
const WIDGET_CSS: &str = include_str!("../../web/widget.css");
const DEMO_JS: &str = include_str!("../../web/demo.js");
const DEMO_CSS: &str = include_str!("../../web/demo.css");

/// Starts the server and blocks until it shuts down (SIGTERM/SIGINT:
/// graceful, in-flight requests finish).
pub fn run(config: ServerConfig) -> anyhow::Result<()> {
    let started = Instant::now();
    let dir = IndexDir::new(&config.index_dir);
    let corpus = match &config.corpus {
        Some(path) => Corpus::Dir(path.clone()),
        None => Corpus::Demo,
    };
    let build_options = BuildOptions {
        urls: config.urls.clone(),
        ..Default::default()
    };
    let engine = Engine::open(dir.clone());
    if engine.snapshot().locales.is_empty() {
        tracing::info!(corpus = %corpus.describe(), index = %dir.root().display(), "no index yet: building it");
        let report = index::build(&corpus, &dir, &build_options)
            .with_context(|| format!("building the index from {}", corpus.describe()))?;
        tracing::info!(
            documents = report.documents(),
            seconds = report.elapsed.as_secs_f64(),
            "index built"
        );
        engine.reload();
    }
    let engine = Arc::new(engine);
    spawn_reload_watcher(&engine, config.reload_interval);

    let state = web::Data::new(AppState {
        engine: engine.clone(),
        metrics: metrics::Metrics::new(),
        reindexer: Arc::new(admin::Reindexer::new(corpus, dir, build_options)),
        admin_key: config.admin_key.clone(),
    });
    let governor = GovernorConfigBuilder::default()
        .requests_per_second(config.rate_limit.max(1))
        .burst_size(config.rate_burst)
        .key_extractor(ClientAddress {
            trusted_proxies: config.trusted_proxies.clone().into(),
        })
        .finish()
        .context("invalid rate limit")?;
    let rate_limited = config.rate_limit > 0;
    let cors_origins = config.cors_origins.clone();
    let max_body = config.max_body_bytes;

    let server =
        HttpServer::new(move || {
            let cors = cors(&cors_origins);
            App::new()
                .app_data(state.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(max_body)
                        .error_handler(json_error),
                )
                .app_data(web::QueryConfig::default().error_handler(query_error))
                .app_data(web::PathConfig::default().error_handler(|e, _| {
                    ApiError::bad_request("invalid_path", e.to_string()).into()
                }))
                .wrap(from_fn(record_metrics))
                .wrap(Condition::new(rate_limited, Governor::new(&governor)))
                .wrap(Condition::new(!cors_origins.is_empty(), cors))
                .wrap(Compress::default())
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("X-Frame-Options", "DENY")),
                )
                .wrap(from_fn(request_id_header))
                .wrap(tracing_actix_web::TracingLogger::default())
                .configure(routes_config)
        })
        .workers(config.workers)
        .client_request_timeout(config.client_request_timeout)
        .client_disconnect_timeout(std::time::Duration::from_secs(1))
        .keep_alive(std::time::Duration::from_secs(75))
        .shutdown_timeout(config.shutdown_timeout.as_secs())
        .bind(config.addr)
        .with_context(|| format!("cannot listen on {}", config.addr))?;

    let addrs = server.addrs();
    let snapshot = engine.snapshot();
    let documents: u64 = snapshot.locales.values().map(|l| l.documents).sum();
    for addr in &addrs {
        // Tests and scripts read this line to find the port.
        eprintln!(
            "kensaku listening on http://{addr}/ ({} locales, {documents} documents, ready in {:.0} ms)",
            snapshot.locales.len(),
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    actix_web::rt::System::new().block_on(server.run())?;
    tracing::info!("server stopped");
    Ok(())
}

fn routes_config(cfg: &mut web::ServiceConfig) {
    use routes::*;
    cfg.service(
        web::resource("/search")
            .route(web::get().to(search_get))
            .route(web::post().to(search_post))
            .default_service(web::to(method_not_allowed)),
    )
    .service(get("/suggest").route(web::get().to(suggest)))
    .service(get("/articles/{locale}/{id:.*}").route(web::get().to(article)))
    .service(get("/locales").route(web::get().to(locales)))
    .service(get("/health").route(web::get().to(health)))
    .service(get("/ready").route(web::get().to(ready)))
    .service(get("/metrics").route(web::get().to(metrics)))
    .service(get("/openapi.json").route(web::get().to(openapi)))
    .service(
        web::resource("/admin/reindex")
            .route(web::post().to(reindex))
            .route(web::get().to(reindex_status))
            .default_service(web::to(method_not_allowed)),
    )
    .service(get("/").route(web::get().to(home)))
    .service(get("/docs/{locale}/{path:.*}").route(web::get().to(doc_page)))
    .service(
        get("/widget.js")
            .route(web::get().to(|| asset(WIDGET_JS, "text/javascript; charset=utf-8"))),
    )
    .service(
        get("/widget.css").route(web::get().to(|| asset(WIDGET_CSS, "text/css; charset=utf-8"))),
    )
    .service(
        get("/demo.js").route(web::get().to(|| asset(DEMO_JS, "text/javascript; charset=utf-8"))),
    )
    .service(get("/demo.css").route(web::get().to(|| asset(DEMO_CSS, "text/css; charset=utf-8"))))
    .default_service(web::to(not_found));
}

/// A resource answering 405 to methods it does not route.
fn get(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(routes::method_not_allowed))
}

async fn asset(body: &'static str, content_type: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Cache-Control", "public, max-age=300"))
        .body(body)
}

fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([actix_web::http::header::CONTENT_TYPE])
        .max_age(3600);
    for origin in origins {
        cors = if origin == "*" {
            cors.allow_any_origin()
        } else {
            cors.allowed_origin(origin)
        };
    }
    cors
}

fn json_error(
    error: actix_web::error::JsonPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let api = match &error {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "request body is larger than 64 KiB",
        ),
        E::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        ),
        _ => ApiError::bad_request("malformed_json", format!("malformed JSON body: {error}")),
    };
    api.into()
}

fn query_error(
    error: actix_web::error::QueryPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::bad_request(
        "invalid_parameter",
        format!("invalid query string: {error}"),
    )
    .into()
}

/// Rate-limit key: the client's address — the peer's, or, when the peer is a
/// trusted proxy, the right-most `X-Forwarded-For` entry that is not one
/// (entries left of it are whatever the client chose to send).
#[derive(Clone)]
struct ClientAddress {
    trusted_proxies: Arc<[ipnet::IpNet]>,
}

impl ClientAddress {
    fn client_of(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let trusted = |ip: &IpAddr| self.trusted_proxies.iter().any(|net| net.contains(ip));
        if !trusted(&peer) {
            return peer;
        }
        forwarded_for
            .into_iter()
            .flat_map(|header| header.rsplit(','))
            .map_while(|entry| entry.trim().parse::<IpAddr>().ok())
            .find(|ip| !trusted(ip))
            .unwrap_or(peer)
    }
}

impl KeyExtractor for ClientAddress {
    type Key = IpAddr;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, request: &ServiceRequest) -> Result<IpAddr, Self::KeyExtractionError> {
        let peer = request
            .peer_addr()
            .map(|a| a.ip())
            .ok_or_else(|| SimpleKeyExtractionError::new("no peer address"))?;
        let forwarded_for = request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        Ok(self.client_of(peer, forwarded_for))
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &governor::NotUntil<governor::clock::QuantaInstant>,
        mut response: HttpResponseBuilder,
    ) -> HttpResponse {
        use governor::clock::{Clock, DefaultClock};
        let wait = negative.wait_time_from(DefaultClock::default().now());
        response
            .insert_header(("Retry-After", wait.as_secs().max(1).to_string()))
            .json(ErrorBody {
                error: "rate_limited",
                message: format!("too many requests; retry in {} ms", wait.as_millis().max(1)),
            })
    }
}

/// Counts requests and their latency per route pattern (not per path, so
/// that `/articles/…` ids cannot blow up the number of series).
async fn record_metrics(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let method = request.method().to_string();
    let response = next.call(request).await?;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(state) = state {
        let status = status.to_string();
        state
            .metrics
            .requests
            .with_label_values(&[route.as_str(), method.as_str(), status.as_str()])
            .inc();
        state
            .metrics
            .latency
            .with_label_values(&[route.as_str()])
            .observe(elapsed.as_secs_f64());
    }
    // One structured line per request, inside TracingLogger's span (which
    // carries the request id).
    tracing::info!(
        method = %method,
        path = %response.request().path(),
        route = %route,
        status,
        micros = elapsed.as_micros() as u64,
        "request"
    );
    Ok(response)
}

/// Returns the request id that tracing-actix-web assigned, so that a client
/// report can be matched with the server's log line.
async fn request_id_header(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    use actix_web::HttpMessage as _;
    let id = request
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .map(|id| id.to_string());
    let mut response = next.call(request).await?;
    if let Some(id) = id.and_then(|id| actix_web::http::header::HeaderValue::from_str(&id).ok()) {
        response.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("x-request-id"),
            id,
        );
    }
    Ok(response)
}

/// Polls the index folder for generations published by another process (an
/// indexer job, another replica's reindex) and switches to them.
fn spawn_reload_watcher(engine: &Arc<Engine>, interval: Option<std::time::Duration>) {
    let Some(interval) = interval else {
        return;
    };
    let engine = Arc::downgrade(engine);
    std::thread::Builder::new()
        .name("kensaku-reload".into())
        .spawn(move || {
            loop {
                std::thread::sleep(interval);
                let Some(engine) = engine.upgrade() else {
                    return;
                };
                if engine.reload() {
                    tracing::info!("switched to a newly published index generation");
                }
            }
        })
        .expect("spawn reload thread");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let extractor = ClientAddress {
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()].into(),
        };
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // A client talking directly cannot choose its key.
        assert_eq!(
            extractor.client_of(ip("203.0.113.9"), Some("1.2.3.4")),
            ip("203.0.113.9")
        );
        // Behind the proxy: the address the proxy saw, not what the client claimed.
        assert_eq!(
            extractor.client_of(ip("10.0.0.2"), Some("1.2.3.4, 198.51.100.7")),
            ip("198.51.100.7")
        );
        assert_eq!(
            extractor.client_of(ip("10.0.0.2"), Some("198.51.100.7, 10.0.0.3")),
            ip("198.51.100.7")
        );
        assert_eq!(
            extractor.client_of(ip("10.0.0.2"), Some("garbage")),
            ip("10.0.0.2")
        );
        assert_eq!(extractor.client_of(ip("10.0.0.2"), None), ip("10.0.0.2"));
    }
}
