//! Per request: an id, the metrics, and the access log.
//!
//! Every request gets an id, returned as `X-Request-Id` and carried by the
//! `request` span around its handling, so that a warning logged while
//! answering it can be matched with a client's report. Metrics count every
//! request (route pattern, method, status, latency). The access log is one
//! compact line per request at `info` — method, path (never the query
//! string: it holds what readers typed), status, microseconds, id — and
//! the same with the route pattern at `debug`; `KENSAKU_LOG=warn` turns it
//! off. (tracing-actix-web's logger was here before: a span of 17 fields
//! and a UUID per request, about 400 characters of log each, a cost paid
//! on every search.)

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage as _, web};
use tracing::Instrument as _;

use super::routes::AppState;

/// A request's id: a per-process random prefix and a counter, as 24 hex
/// digits (unique across replicas and restarts in practice, and free to
/// make: no system call per request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestId(u64, u64);

impl RequestId {
    fn next() -> RequestId {
        static PREFIX: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let prefix = *PREFIX.get_or_init(|| {
            let mut bytes = [0u8; 8];
            let _ = getrandom::fill(&mut bytes);
            u64::from_le_bytes(bytes) & 0xffff_ffff
        });
        RequestId(prefix, COUNTER.fetch_add(1, Ordering::Relaxed))
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}{:016x}", self.0, self.1)
    }
}

/// The middleware: id, span, metrics, log line.
pub async fn observe(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = RequestId::next();
    request.extensions_mut().insert(id);
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let method = request.method().clone();
    let span = tracing::info_span!("request", id = %id);
    let mut response = next.call(request).instrument(span).await?;
    let elapsed = started.elapsed();
    let status = response.status();
    let route = response.request().match_pattern();
    let route = route.as_deref().unwrap_or("unmatched");
    if let Some(state) = state {
        state
            .metrics
            .requests
            .with_label_values(&[route, method.as_str(), status.as_str()])
            .inc();
        state
            .metrics
            .latency
            .with_label_values(&[route])
            .observe(elapsed.as_secs_f64());
    }
    let micros = elapsed.as_micros() as u64;
    let path = response.request().path();
    if tracing::enabled!(tracing::Level::DEBUG) {
        tracing::debug!(%id, %method, path, route, status = status.as_u16(), micros, "request");
    } else {
        tracing::info!("{method} {path} {} {micros}µs id={id}", status.as_u16());
    }
    if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct_24_hex_digits() {
        let (a, b) = (RequestId::next().to_string(), RequestId::next().to_string());
        assert_ne!(a, b);
        assert_eq!(a.len(), 24);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
