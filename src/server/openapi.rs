//! The OpenAPI 3 document, generated from the handlers and types.
//!
//! Handlers document what they answer; [`Middleware`] adds what the layers
//! around every handler answer (rate limiting, unreadable query strings and
//! bodies), so that every status a route can return is in the document.

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi};

use super::config::MAX_BODY_BYTES;
use super::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kensaku",
        description = "Multilingual full-text search for support documentation.",
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(
        routes::search_get,
        routes::search_post,
        routes::suggest,
        routes::article,
        routes::locales,
        routes::health,
        routes::ready,
        routes::metrics,
        routes::openapi,
        routes::reindex,
        routes::reindex_status,
        super::events::event,
        super::events::top_queries,
        super::events::no_results,
        super::events::no_clicks,
        super::events::daily,
        super::events::click_through,
    ),
    components(schemas(super::error::ErrorBody)),
    modifiers(&BearerAuth, &Middleware)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The responses of the middleware and extractors every route runs through.
struct Middleware;

/// A JSON error response (`ErrorBody`).
fn error_response(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody"))))
            .build(),
    )
}

fn add_missing(operation: &mut Operation, status: &str, response: impl FnOnce() -> Response) {
    operation
        .responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| RefOr::T(response()));
}

impl Modify for Middleware {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                add_missing(operation, "429", || {
                    error_response("Too many requests from this client (rate limit)")
                        .header(
                            "Retry-After",
                            HeaderBuilder::new()
                                .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
                                .description(Some("Seconds to wait before retrying"))
                                .build(),
                        )
                        .build()
                });
                let has_query = operation.parameters.as_ref().is_some_and(|params| {
                    params.iter().any(|p| {
                        matches!(p, RefOr::T(p)
                            if matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query))
                    })
                });
                if has_query {
                    add_missing(operation, "400", || {
                        error_response("Invalid parameters or query string").build()
                    });
                }
                if operation.request_body.is_some() {
                    add_missing(operation, "400", || {
                        error_response("Malformed JSON body or invalid parameters").build()
                    });
                    add_missing(operation, "413", || {
                        error_response(&format!("Body larger than {} KiB", MAX_BODY_BYTES / 1024))
                            .build()
                    });
                    add_missing(operation, "415", || {
                        error_response("Body not sent as `application/json`").build()
                    });
                }
            }
        }
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_documents_the_middleware_statuses() {
        let doc = serde_json::to_value(document()).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let responses = &operation["responses"];
                assert!(responses["429"].is_object(), "{method} {path}: no 429");
                assert!(
                    responses["429"]["headers"]["Retry-After"].is_object(),
                    "{method} {path}"
                );
                if operation.get("requestBody").is_some() {
                    for status in ["400", "413", "415"] {
                        assert!(responses[status].is_object(), "{method} {path}: {status}");
                    }
                }
            }
        }
    }
}
