//! HTTP handlers. Each maps a request onto the library and the result onto
//! JSON; no search logic lives here.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::locale::Locale;
use crate::search::limits::{SEARCH_LIMIT, SEARCH_OFFSET, SUGGEST_LIMIT};
use crate::search::{
    ArticleView, Engine, Filter, LocaleInfo, SearchError, SearchRequest, SearchResponse,
    SuggestResponse,
};

use super::admin::{ReindexStatus, Reindexer};
use super::config::AdminKey;
use super::error::{ApiError, ErrorBody};
use super::metrics::Metrics;
use super::pages;
use super::params::{SearchParams, SuggestParams};

/// Shared by every worker.
pub struct AppState {
    pub engine: Arc<Engine>,
    pub metrics: Metrics,
    pub reindexer: Arc<Reindexer>,
    pub admin_key: Option<AdminKey>,
    /// Search analytics (`None`: off).
    pub analytics: Option<Arc<crate::analytics::Analytics>>,
}

impl SearchParams {
    fn into_request(self) -> Result<SearchRequest, ApiError> {
        let mut filters = Vec::new();
        for (name, value) in self.filters() {
            filters.push(Filter::new(name, value)?);
        }
        Ok(SearchRequest {
            q: self.q.unwrap_or_default(),
            locale: parse_locale(self.locale.as_deref())?,
            limit: SEARCH_LIMIT.check_or_default(self.limit)?,
            offset: SEARCH_OFFSET.check_or_default(self.offset)?,
            filters,
            semantic_ratio: self
                .semantic_ratio
                .map(crate::search::limits::check_semantic_ratio)
                .transpose()?,
        })
    }
}

/// A query string whose escapes do not decode to UTF-8 (`q=%FF%FE`) is a bad
/// request: the form decoder would put U+FFFD in their place and search for
/// that.
fn utf8_query_string(request: &HttpRequest) -> Result<(), ApiError> {
    let decoded = percent_encoding::percent_decode_str(request.query_string());
    match decoded.decode_utf8() {
        Ok(_) => Ok(()),
        Err(e) => Err(ApiError::bad_request(
            "invalid_encoding",
            format!("the query string is not UTF-8 once decoded: {e}"),
        )),
    }
}

fn parse_locale(locale: Option<&str>) -> Result<Option<Locale>, ApiError> {
    match locale.map(str::trim).filter(|l| !l.is_empty()) {
        None => Ok(None),
        Some(tag) => Locale::parse(tag)
            .map(Some)
            .map_err(|e| ApiError::bad_request("invalid_locale", e.to_string())),
    }
}

async fn run_search(
    state: web::Data<AppState>,
    params: SearchParams,
) -> Result<HttpResponse, ApiError> {
    let settled = !params.as_you_type;
    let request = params.into_request()?;
    // A search runs on the HTTP worker: it is CPU work. Only embedding the
    // query waits on another server, so that step alone goes to a blocking
    // thread while the worker keeps answering. (Whole hybrid searches on
    // blocking threads grew the pool to 25 threads under 8 connections, each
    // with its own analyzers: BENCHMARKS.md, memory, 294 → 193 MiB.)
    let mut response = match state.engine.search_if_ready(&request)? {
        Some(response) => response,
        None => {
            let (engine, q) = (state.engine.clone(), request.q.clone());
            let embedding = web::block(move || engine.embed_query(&q))
                .await
                .map_err(|e| ApiError::from(SearchError::Internal(e.to_string())))?;
            state.engine.search_embedded(&request, embedding)?
        }
    };
    if let Some(analytics) = &state.analytics {
        super::events::record_search(analytics, &mut response, settled);
    }

    for locale in &response.locales {
        state
            .metrics
            .searches
            .with_label_values(&[locale.as_str()])
            .inc();
    }
    if let Some(locale) = &response.locale {
        if response.total == 0 {
            state
                .metrics
                .zero_results
                .with_label_values(&[locale.as_str()])
                .inc();
        }
        state
            .metrics
            .hits
            .with_label_values(&[locale.as_str()])
            .inc_by(response.hits.len() as u64);
    }
    Ok(HttpResponse::Ok().json(response))
}

/// Search articles.
#[utoipa::path(get, path = "/search", params(SearchParams),
    responses(
        (status = 200, description = "Ranked articles with snippets", body = SearchResponse),
        (status = 400, description = "Invalid query, limit, offset, filter or locale", body = ErrorBody),
        (status = 503, description = "No index is loaded", body = ErrorBody),
    ))]
pub async fn search_get(
    state: web::Data<AppState>,
    request: HttpRequest,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    utf8_query_string(&request)?;
    run_search(state, params.into_inner()).await
}

/// Search articles (parameters as a JSON body).
#[utoipa::path(post, path = "/search", request_body = SearchParams,
    responses(
        (status = 200, description = "Ranked articles with snippets", body = SearchResponse),
        (status = 400, description = "Invalid JSON, query, limit, offset, filter or locale", body = ErrorBody),
        (status = 503, description = "No index is loaded", body = ErrorBody),
    ))]
pub async fn search_post(
    state: web::Data<AppState>,
    params: web::Json<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    run_search(state, params.into_inner()).await
}

/// Completions from titles and headings, for every keystroke.
#[utoipa::path(get, path = "/suggest", params(SuggestParams),
    responses(
        (status = 200, description = "Completions", body = SuggestResponse),
        (status = 400, description = "Invalid query, limit or locale", body = ErrorBody),
        (status = 503, description = "No index is loaded", body = ErrorBody),
    ))]
pub async fn suggest(
    state: web::Data<AppState>,
    request: HttpRequest,
    params: web::Query<SuggestParams>,
) -> Result<HttpResponse, ApiError> {
    utf8_query_string(&request)?;
    let params = params.into_inner();
    let limit = SUGGEST_LIMIT.check_or_default(params.limit)?;
    let locale = parse_locale(params.locale.as_deref())?;
    let q = params.q.unwrap_or_default();
    let response = state.engine.suggest(&q, locale.as_ref(), limit)?;
    Ok(HttpResponse::Ok().json(response))
}

/// One article's metadata and sections.
#[utoipa::path(get, path = "/articles/{locale}/{id}",
    params(("locale" = String, Path, description = "Locale, e.g. ja-jp", example = "en-us"),
           ("id" = String, Path, description = "Article id: its path in the locale folder, slashes included",
            example = "kensaku/getting-started.md")),
    responses(
        (status = 200, description = "The article", body = ArticleView),
        (status = 400, description = "Invalid or unknown locale", body = ErrorBody),
        (status = 404, description = "No such article", body = ErrorBody),
    ))]
pub async fn article(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (locale, id) = path.into_inner();
    let locale = parse_locale(Some(&locale))?
        .ok_or_else(|| ApiError::bad_request("invalid_locale", "empty locale"))?;
    // The id is looked up as an index term, never used as a file path.
    match state.engine.article(&locale, &id)? {
        Some(view) => Ok(HttpResponse::Ok().json(view)),
        None => Err(ApiError::not_found(format!(
            "no article {id:?} in {locale}"
        ))),
    }
}

/// Indexed locales.
#[utoipa::path(get, path = "/locales", responses((status = 200, description = "Indexed locales", body = Vec<LocaleInfo>)))]
pub async fn locales(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.engine.locales())
}

#[derive(serde::Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    /// With analytics on: `ok`, or `unavailable: <why>` while its store
    /// takes no writes (searches are served all the same; events wait).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analytics: Option<String>,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health", responses((status = 200, body = Health)))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        analytics: None,
    })
}

/// Readiness: an index is loaded, so searches are served. Says too whether
/// analytics can write (a failing store never makes a replica unready:
/// searching does not need it).
#[utoipa::path(get, path = "/ready", responses(
    (status = 200, description = "Index loaded", body = Health),
    (status = 503, description = "No index loaded", body = ErrorBody)))]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if state.engine.snapshot().locales.is_empty() {
        return Err(SearchError::NoIndex.into());
    }
    let analytics = state.analytics.as_ref().map(|a| match a.problem() {
        None if a.is_available() => "ok".to_string(),
        None => "unavailable: not connected yet".to_string(),
        Some(problem) => format!("unavailable: {problem}"),
    });
    Ok(HttpResponse::Ok().json(Health {
        status: "ready",
        analytics,
    }))
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(
            state
                .metrics
                .render(&state.engine, state.analytics.as_deref()),
        )
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", responses((status = 200, description = "OpenAPI 3 document")))]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(super::openapi::document())
}

pub(super) fn authorize(state: &AppState, request: &HttpRequest) -> Result<(), ApiError> {
    let Some(key) = &state.admin_key else {
        return Err(ApiError::not_found(
            "admin routes are disabled (set KENSAKU_ADMIN_KEY to enable them)",
        ));
    };
    let provided = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match provided {
        None => Err(ApiError::new(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send `Authorization: Bearer <admin key>`",
        )),
        Some(candidate) if key.matches(candidate.trim()) => Ok(()),
        Some(_) => Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "forbidden",
            "wrong admin key",
        )),
    }
}

/// Rebuild the index from the configured corpus while searches keep answering.
#[utoipa::path(post, path = "/admin/reindex", security(("bearer" = [])),
    responses(
        (status = 202, description = "Reindex started", body = ReindexStatus),
        (status = 401, description = "No bearer token", body = ErrorBody),
        (status = 403, description = "Wrong admin key", body = ErrorBody),
        (status = 404, description = "Admin routes disabled (no key configured)", body = ErrorBody),
        (status = 409, description = "A reindex is already running, or this replica serves a read-only index (the indexer job rebuilds it)", body = ErrorBody),
    ))]
pub async fn reindex(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    authorize(&state, &request)?;
    let state_for_done = state.clone();
    let started = state.reindexer.start(state.engine.clone(), move |ok| {
        let outcome = if ok { "succeeded" } else { "failed" };
        state_for_done
            .metrics
            .reindexes
            .with_label_values(&[outcome])
            .inc();
    });
    let conflict = |code, message: &str| {
        Err(ApiError::new(
            actix_web::http::StatusCode::CONFLICT,
            code,
            message,
        ))
    };
    match started {
        super::admin::Start::Started => Ok(HttpResponse::Accepted().json(state.reindexer.status())),
        super::admin::Start::Running => conflict("reindex_running", "a reindex is already running"),
        super::admin::Start::ReadOnly => conflict(
            "read_only_index",
            "this replica serves a read-only index: the indexer job rebuilds it \
             (docker compose run --rm indexer), and every replica switches to the new \
             generation by itself",
        ),
    }
}

/// State of the last or current reindex.
#[utoipa::path(get, path = "/admin/reindex", security(("bearer" = [])),
    responses(
        (status = 200, body = ReindexStatus),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub async fn reindex_status(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    authorize(&state, &request)?;
    Ok(HttpResponse::Ok().json(state.reindexer.status()))
}

pub async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::method_not_allowed())
}

pub async fn not_found(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found(format!("no route {}", request.path())))
}

#[derive(Debug, Deserialize)]
pub struct HomeParams {
    lang: Option<String>,
}

/// The demo docs page with the search box, in the language `?lang=` names
/// (an indexed locale; the originals' language, or the first locale, otherwise).
pub async fn home(state: web::Data<AppState>, params: web::Query<HomeParams>) -> HttpResponse {
    let locales = state.engine.locales();
    let wanted = params.lang.as_deref().and_then(|l| Locale::parse(l).ok());
    let lang = wanted
        .filter(|w| locales.iter().any(|l| &l.locale == w))
        .or_else(|| {
            locales
                .iter()
                .map(|l| l.locale.clone())
                .find(Locale::holds_originals)
        })
        .or_else(|| locales.first().map(|l| l.locale.clone()))
        .map_or_else(|| "en".to_string(), |l| l.to_string());
    pages::html(pages::home(&lang, &locales))
}

/// A rendered article of the demo site (search results link here by default).
pub async fn doc_page(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (locale, path) = path.into_inner();
    let locale = parse_locale(Some(&locale))?.ok_or_else(|| ApiError::not_found("no locale"))?;
    let id = format!("{}.md", path.trim_end_matches(".md"));
    match state.engine.article(&locale, &id)? {
        Some(view) => Ok(pages::html(pages::article(&view, &state.engine.locales()))),
        None => Err(ApiError::not_found(format!(
            "no article {id:?} in {locale}"
        ))),
    }
}
