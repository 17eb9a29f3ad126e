//! kensaku's integration tests, one module per concern, linked into one test
//! binary: the embedded dictionaries are linked once, not once per file
//! (fourteen binaries of 600 MB each took most of a first build's time and
//! disk), and a fixture built once (the shared corpus's index) serves every
//! module.
//!
//! Tests that need something this machine may lack (`../shared`, Chromium,
//! nginx, an embedding server, schemathesis) say so on stderr and return;
//! `.ci/run` sets `KENSAKU_REQUIRE_*` so that in CI they fail instead.

#[macro_use]
mod common;

mod analysis;
mod analytics;
mod analytics_store;
mod bad_input;
mod browser;
mod cli;
mod cluster;
mod corpus;
mod curation;
mod demo;
mod facets;
mod generators;
mod hybrid;
mod hybrid_model;
mod openapi_fuzz;
mod properties;
mod rebuild;
mod replicas;
mod server;
mod sites;
mod soak;
