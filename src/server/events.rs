//! Analytics at the HTTP door: recording searches, the box's events
//! (`POST /events`), and the admin reports (`/admin/analytics/…`).

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::analytics::store::{ClickThrough, DayRow, QueryRow, Report, ReportFilter, ReportKind};
use crate::analytics::{Analytics, Beacon, EventError, SearchRecord, now};
use crate::curation::pins::normalize_query;
use crate::search::SearchResponse;

use super::error::{ApiError, ErrorBody};
use super::routes::{AppState, authorize};

/// Largest event body (a beacon is a few dozen bytes).
pub const MAX_EVENT_BYTES: usize = 1024;

/// Gives `response` a search id and hands its record to analytics.
pub fn record_search(analytics: &Analytics, response: &mut SearchResponse, settled: bool) {
    let id = Analytics::new_id();
    let record = SearchRecord {
        id: id.clone(),
        at: now(),
        query: normalize_query(&response.query),
        locale: response.locale.as_ref().map(|l| l.to_string()),
        detected_locale: response.detected_locale.as_ref().map(|l| l.to_string()),
        total: response.total,
        lexical_total: response
            .semantic
            .as_ref()
            .filter(|s| s.used)
            .map_or(response.total, |s| s.lexical_total),
        returned: returned(response),
        mode: if response.semantic.as_ref().is_some_and(|s| s.used) {
            "hybrid"
        } else {
            "lexical"
        },
        took_ms: response.took_ms,
        settled,
    };
    analytics.searched(record);
    response.search_id = Some(id);
}

/// The ids of a response's hits, one per line.
fn returned(response: &SearchResponse) -> String {
    let mut ids = String::with_capacity(response.hits.len() * 48);
    for hit in &response.hits {
        if !ids.is_empty() {
            ids.push('\n');
        }
        ids.push_str(&hit.id);
    }
    ids
}

/// An event of the search box.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// `settle`: an as-you-type search is the reader's (Enter, a pause);
    /// `click`: a result was opened (which settles its search too).
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// The `search_id` of the search response.
    pub search_id: String,
    /// `click`: the article opened.
    pub article: Option<String>,
    /// `click`: its 0-based position in the results.
    #[schema(minimum = 0, maximum = 99)]
    pub position: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    Settle,
    Click,
}

/// Record a search-box event.
///
/// Sent with `navigator.sendBeacon` (a `text/plain` body holding JSON, so
/// that no preflight is needed) or as `application/json`.
#[utoipa::path(post, path = "/events", request_body(content = Event, content_type = "application/json"),
    responses(
        (status = 204, description = "Recorded"),
        (status = 400, description = "Not an event", body = ErrorBody),
        (status = 404, description = "Unknown or expired search, or analytics is off", body = ErrorBody),
        (status = 409, description = "Already recorded", body = ErrorBody),
        (status = 413, description = "Body larger than 1 KiB", body = ErrorBody),
        (status = 415, description = "Body not JSON or text", body = ErrorBody),
        (status = 503, description = "The event could not be checked", body = ErrorBody),
    ))]
pub async fn event(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let Some(analytics) = &state.analytics else {
        return Err(ApiError::not_found("analytics is off"));
    };
    let body = match payload.to_bytes_limited(MAX_EVENT_BYTES).await {
        Ok(Ok(body)) => body,
        Ok(Err(e)) => return Err(ApiError::bad_request("malformed_event", e.to_string())),
        Err(_) => {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("an event is at most {MAX_EVENT_BYTES} bytes"),
            ));
        }
    };
    let result = match beacon(&request, &body) {
        Ok(beacon) => match analytics.take_locally(&beacon) {
            Some(taken) => taken.map_err(refused),
            // A search this replica did not answer (or no longer remembers):
            // the shared store says what it returned, off the workers.
            None => {
                let analytics = analytics.clone();
                web::block(move || analytics.take_checked_by_store(&beacon))
                    .await
                    .map_err(|e| {
                        ApiError::new(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "analytics_unavailable",
                            e.to_string(),
                        )
                    })?
                    .map_err(refused)
            }
        },
        Err(error) => Err(error),
    };
    if result.is_err() {
        analytics
            .stats
            .events_rejected
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    result.map(|_| HttpResponse::NoContent().finish())
}

/// A beacon's HTTP error.
fn refused(error: EventError) -> ApiError {
    match error {
        EventError::UnknownSearch(_) => {
            ApiError::new(StatusCode::NOT_FOUND, "unknown_search", error.to_string())
        }
        EventError::NotAResult { .. } => ApiError::bad_request("not_a_result", error.to_string()),
        EventError::Replayed => {
            ApiError::new(StatusCode::CONFLICT, "already_recorded", error.to_string())
        }
    }
}

/// The beacon a request's body holds.
fn beacon(request: &HttpRequest, body: &[u8]) -> Result<Beacon, ApiError> {
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !matches!(essence, "application/json" | "text/plain") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the event as application/json (or text/plain holding JSON)",
        ));
    }
    let event: Event = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("malformed_event", format!("not an event: {e}")))?;
    match event.kind {
        EventKind::Settle => Ok(Beacon::Settle {
            search_id: event.search_id,
        }),
        EventKind::Click => {
            let (Some(article), Some(position)) = (event.article, event.position) else {
                return Err(ApiError::bad_request(
                    "malformed_event",
                    "a click names its `article` and `position`",
                ));
            };
            Ok(Beacon::Click {
                search_id: event.search_id,
                article,
                position,
            })
        }
    }
}

/// Which searches a report covers.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// Only searches of this locale (`ja-jp`).
    pub locale: Option<String>,
    /// First day, `YYYY-MM-DD` (UTC, inclusive).
    #[param(pattern = r"^\d{4}-\d{2}-\d{2}$")]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC, inclusive).
    #[param(pattern = r"^\d{4}-\d{2}-\d{2}$")]
    pub to: Option<String>,
    /// Rows, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

impl ReportParams {
    fn filter(&self) -> Result<ReportFilter, ApiError> {
        let date = |d: &Option<String>, name: &str| -> Result<Option<String>, ApiError> {
            match d.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
                None => Ok(None),
                Some(d) if is_date(d) => Ok(Some(d.to_string())),
                Some(d) => Err(ApiError::bad_request(
                    "invalid_date",
                    format!("{name} must be YYYY-MM-DD, got {d:?}"),
                )),
            }
        };
        let limit = self.limit.unwrap_or(50);
        if !(1..=1000).contains(&limit) {
            return Err(ApiError::bad_request(
                "invalid_limit",
                format!("limit must be between 1 and 1000, got {limit}"),
            ));
        }
        Ok(ReportFilter {
            locale: self
                .locale
                .as_deref()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| l.to_ascii_lowercase()),
            from: date(&self.from, "from")?,
            to: date(&self.to, "to")?,
            limit: limit as usize,
        })
    }
}

fn is_date(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// A report of queries.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueryReport {
    pub rows: Vec<QueryRow>,
    /// Set while analytics cannot write its database (the rows may be stale).
    pub problem: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DailyReport {
    pub rows: Vec<DayRow>,
    pub problem: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClickThroughReport {
    #[serde(flatten)]
    pub click_through: ClickThrough,
    pub problem: Option<String>,
}

/// Reads a report off the actix workers (SQLite and its busy wait block).
async fn report(
    state: &AppState,
    request: &HttpRequest,
    params: &ReportParams,
    kind: ReportKind,
) -> Result<(Report, Option<String>), ApiError> {
    authorize(state, request)?;
    let Some(analytics) = state.analytics.clone() else {
        return Err(ApiError::not_found("analytics is off"));
    };
    let filter = params.filter()?;
    let unavailable = |e: String| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "analytics_unavailable",
            format!("the analytics database cannot be read: {e}"),
        )
    };
    let reading = analytics.clone();
    let report = web::block(move || reading.report(kind, &filter))
        .await
        .map_err(|e| unavailable(e.to_string()))?
        .map_err(|e| unavailable(e.to_string()))?;
    Ok((report, analytics.problem()))
}

fn queries(report: (Report, Option<String>)) -> HttpResponse {
    let rows = match report.0 {
        Report::Queries(rows) => rows,
        _ => Vec::new(),
    };
    HttpResponse::Ok().json(QueryReport {
        rows,
        problem: report.1,
    })
}

macro_rules! query_report {
    ($name:ident, $path:literal, $kind:expr, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(get, path = $path, params(ReportParams), security(("bearer" = [])),
            responses(
                (status = 200, body = QueryReport),
                (status = 400, description = "Invalid locale, date or limit", body = ErrorBody),
                (status = 401, description = "No bearer token", body = ErrorBody),
                (status = 403, description = "Wrong admin key", body = ErrorBody),
                (status = 404, description = "Admin routes disabled, or analytics off", body = ErrorBody),
                (status = 503, description = "The analytics database cannot be read", body = ErrorBody),
            ))]
        pub async fn $name(
            state: web::Data<AppState>,
            request: HttpRequest,
            params: web::Query<ReportParams>,
        ) -> Result<HttpResponse, ApiError> {
            report(&state, &request, &params, $kind).await.map(queries)
        }
    };
}

query_report!(
    top_queries,
    "/admin/analytics/top-queries",
    ReportKind::TopQueries,
    "The most searched queries, with their clicks."
);
query_report!(
    no_results,
    "/admin/analytics/no-results",
    ReportKind::NoResults,
    "Queries that matched no article's words (found nothing, or only by meaning): what to write, or which synonym to add."
);
query_report!(
    no_clicks,
    "/admin/analytics/no-clicks",
    ReportKind::NoClicks,
    "Queries with results that no reader opened: what to pin, or to improve."
);

/// Searches per day and locale.
#[utoipa::path(get, path = "/admin/analytics/daily", params(ReportParams), security(("bearer" = [])),
    responses(
        (status = 200, body = DailyReport),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody),
    ))]
pub async fn daily(
    state: web::Data<AppState>,
    request: HttpRequest,
    params: web::Query<ReportParams>,
) -> Result<HttpResponse, ApiError> {
    let (report, problem) = report(&state, &request, &params, ReportKind::Daily).await?;
    let rows = match report {
        Report::Daily(rows) => rows,
        _ => Vec::new(),
    };
    Ok(HttpResponse::Ok().json(DailyReport { rows, problem }))
}

/// Click-through rate, overall and by result position.
#[utoipa::path(get, path = "/admin/analytics/click-through", params(ReportParams), security(("bearer" = [])),
    responses(
        (status = 200, body = ClickThroughReport),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody),
    ))]
pub async fn click_through(
    state: web::Data<AppState>,
    request: HttpRequest,
    params: web::Query<ReportParams>,
) -> Result<HttpResponse, ApiError> {
    let (report, problem) = report(&state, &request, &params, ReportKind::ClickThrough).await?;
    match report {
        Report::ClickThrough(click_through) => Ok(HttpResponse::Ok().json(ClickThroughReport {
            click_through,
            problem,
        })),
        _ => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "analytics_unavailable",
            "unexpected report",
        )),
    }
}
