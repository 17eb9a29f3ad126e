//! The HTTP server (actix-web): search API, admin, metrics, the embeddable
//! search box and a small demo docs site.
//!
//! This is the only module that knows about HTTP; it maps requests onto
//! [`crate::search::Engine`] and [`crate::index`] and their results onto JSON.

mod access;
mod admin;
pub mod config;
mod error;
mod events;
mod metrics;
pub mod openapi;
mod pages;
mod params;
mod ratelimit;
mod routes;

use std::sync::Arc;
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::middleware::{Compress, Condition, DefaultHeaders, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context as _;

use crate::index::{self, BuildOptions, Corpus, IndexDir};
use crate::search::Engine;
use crate::source::Source;

pub use config::{ServeArgs, ServerConfig};
use error::ApiError;
use routes::AppState;

/// The search box and demo-site assets, compiled in.
const WIDGET_JS: &str = include_str!("../../web/widget.js");
const WIDGET_CSS: &str = include_str!("../../web/widget.css");
const DEMO_JS: &str = include_str!("../../web/demo.js");
const DEMO_CSS: &str = include_str!("../../web/demo.css");
const DASHBOARD_JS: &str = include_str!("../../web/dashboard.js");

/// The analytics dashboard page (its data comes from the admin reports,
/// with the key the reader types in).
async fn dashboard(state: web::Data<AppState>) -> HttpResponse {
    pages::html(pages::dashboard(&state.engine.locales()))
}

/// Starts the server and blocks until it shuts down (SIGTERM/SIGINT:
/// graceful, in-flight requests finish).
pub fn run(config: ServerConfig) -> anyhow::Result<()> {
    let started = Instant::now();
    let dir = IndexDir::new(&config.index_dir);
    let corpus = config
        .source
        .corpus(config.base_url.as_deref(), &config.index_dir)?;
    let build_options = BuildOptions {
        urls: config.urls.clone(),
        embed: config.embed.clone(),
        ..Default::default()
    };
    let embedder = config.embed.as_ref().map(|e| e.embedder.clone());
    if let Some(embedder) = &embedder {
        tracing::info!(recipe = %embedder.identity().recipe(), "embedder");
    }
    let engine = Arc::new(open_or_build(&dir, &corpus, &build_options, embedder)?);
    engine.set_curation(config.curation.load());
    spawn_reload_watcher(&engine, config.reload_interval, config.curation.clone());
    let analytics = config.analytics.clone().map(|a| {
        let store = a.location.describe();
        let analytics = crate::analytics::Analytics::start(a);
        match analytics.problem() {
            // One clear line when analytics cannot write where it was told.
            Some(problem) => tracing::error!(
                "analytics cannot write to {store}: {problem}. Searches are served; events wait (up to {} in memory) and are written when it can",
                2 * crate::analytics::QUEUE
            ),
            None => tracing::info!(store = %store, "analytics on"),
        }
        Arc::new(analytics)
    });
    let state = web::Data::new(AppState {
        engine: engine.clone(),
        metrics: metrics::Metrics::new(),
        reindexer: Arc::new(admin::Reindexer::new(
            corpus,
            dir,
            build_options,
            config.curation.clone(),
        )),
        admin_key: config.admin_key.clone(),
        analytics: analytics.clone(),
    });
    // The server's workers start in this system's runtime.
    let system = actix_web::rt::System::new();
    let (server, addrs) = http_server(&config, state)?;
    let snapshot = engine.snapshot();
    let documents: u64 = snapshot.locales.values().map(|l| l.documents).sum();
    for addr in addrs {
        // Tests and scripts read this line to find the port.
        eprintln!(
            "kensaku listening on http://{addr}/ ({} locales, {documents} documents, ready in {:.0} ms)",
            snapshot.locales.len(),
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    system.block_on(server)?;
    if let Some(analytics) = analytics {
        // What searches handed over before the stop is written.
        analytics.shutdown();
    }
    tracing::info!("server stopped");
    Ok(())
}

/// The engine over `dir`, after building the index from `corpus` if there
/// is none yet. That first build publishes a lexical index even when the
/// embedder fails: a server with no index at all serves nobody.
fn open_or_build(
    dir: &IndexDir,
    corpus: &Corpus,
    options: &BuildOptions,
    embedder: Option<Arc<dyn crate::embed::Embedder>>,
) -> anyhow::Result<Engine> {
    let engine = Engine::open_with(dir.clone(), embedder);
    if engine.snapshot().locales.is_empty() {
        tracing::info!(corpus = %corpus.describe(), index = %dir.root().display(), "no index yet: building it");
        let mut options = options.clone();
        if let Some(embed) = &mut options.embed {
            embed.lexical_fallback = true;
        }
        let report = index::build(corpus, dir, &options)
            .with_context(|| format!("building the index from {}", corpus.describe()))?;
        if let Some(failed) = report.embedding.as_ref().and_then(|e| e.failed.as_ref()) {
            tracing::warn!(error = %failed, "the index was built without vectors: semantic matching is off until a reindex");
        }
        tracing::info!(
            documents = report.documents(),
            seconds = report.elapsed.as_secs_f64(),
            "index built"
        );
        engine.reload();
    }
    Ok(engine)
}

/// The actix-web server, bound, with its addresses; it serves once awaited.
fn http_server(
    config: &ServerConfig,
    state: web::Data<AppState>,
) -> anyhow::Result<(actix_web::dev::Server, Vec<std::net::SocketAddr>)> {
    let rate_limit = ratelimit::RateLimit::new(
        config.rate_limit,
        config.rate_burst,
        ratelimit::ClientAddress::new(&config.trusted_proxies),
    );
    let cors_origins = config.cors_origins.clone();
    let max_body = config.max_body_bytes;
    let server =
        HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(rate_limit.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(max_body)
                        .error_handler(json_error),
                )
                .app_data(web::QueryConfig::default().error_handler(query_error))
                .app_data(web::PathConfig::default().error_handler(|e, _| {
                    ApiError::bad_request("invalid_path", e.to_string()).into()
                }))
                .wrap(Condition::new(
                    rate_limit.is_some(),
                    from_fn(ratelimit::limit),
                ))
                .wrap(Condition::new(
                    !cors_origins.is_empty(),
                    cors(&cors_origins),
                ))
                .wrap(Compress::default())
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("X-Frame-Options", "DENY")),
                )
                .wrap(from_fn(access::observe))
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
    Ok((server.run(), addrs))
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
    .service(
        web::resource("/events")
            .route(web::post().to(events::event))
            .default_service(web::to(method_not_allowed)),
    )
    .service(get("/admin/analytics/top-queries").route(web::get().to(events::top_queries)))
    .service(get("/admin/analytics/no-results").route(web::get().to(events::no_results)))
    .service(get("/admin/analytics/no-clicks").route(web::get().to(events::no_clicks)))
    .service(get("/admin/analytics/daily").route(web::get().to(events::daily)))
    .service(get("/admin/analytics/click-through").route(web::get().to(events::click_through)))
    .service(get("/admin/dashboard").route(web::get().to(dashboard)))
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
    .service(
        get("/dashboard.js")
            .route(web::get().to(|| asset(DASHBOARD_JS, "text/javascript; charset=utf-8"))),
    )
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
            format!(
                "request body is larger than {} KiB",
                config::MAX_BODY_BYTES / 1024
            ),
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

/// Polls the index folder for generations published by another process (an
/// indexer job, another replica's reindex) and switches to them; reloads the
/// curated synonyms and pins when one of their files changes.
fn spawn_reload_watcher(
    engine: &Arc<Engine>,
    interval: Option<std::time::Duration>,
    curation: crate::curation::CurationConfig,
) {
    let Some(interval) = interval else {
        return;
    };
    let engine = Arc::downgrade(engine);
    std::thread::Builder::new()
        .name("kensaku-reload".into())
        .spawn(move || {
            let mut stamp = curation.stamp();
            loop {
                std::thread::sleep(interval);
                let Some(engine) = engine.upgrade() else {
                    return;
                };
                if engine.reload() {
                    tracing::info!("switched to a newly published index generation");
                }
                let now = curation.stamp();
                if now != stamp {
                    stamp = now;
                    engine.set_curation(curation.load());
                    tracing::info!("curated synonyms and pins reloaded");
                }
            }
        })
        .expect("spawn reload thread");
}
