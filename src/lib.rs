//! kensaku (検索): multilingual full-text search for support documentation.
//!
//! Data flows one way through the modules:
//! [`source`] → [`article`] → [`analysis`] → [`index`] → [`search`] → JSON / HTML / terminal.

pub mod analysis;
pub mod analytics;
pub mod article;
pub mod cli;
pub mod curation;
pub mod embed;
pub mod eval;
pub mod html;
pub mod index;
pub mod language;
pub mod locale;
pub mod search;
pub mod server;
pub mod source;
