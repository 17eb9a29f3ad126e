//! Request parameters of the search routes, and their OpenAPI description.
//!
//! The accepted ranges come from [`crate::search::limits`] and the filters
//! from the metadata table ([`crate::article::meta`]): the same constants
//! validate a request and document it, so the OpenAPI document cannot drift
//! from what the handlers accept.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{self, Deserializer};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, Required};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::article::meta;
use crate::search::limits::{self, Bounded, MAX_QUERY_CHARS};

/// How a parameter is documented.
struct Described {
    required: bool,
    description: String,
    schema: ObjectBuilder,
    example: Option<serde_json::Value>,
}

fn query_text() -> Described {
    Described {
        required: true,
        description: format!(
            "The query text (1 to {MAX_QUERY_CHARS} characters). Searched as text: quotes, \
             `AND`, `*` or `field:` have no special meaning."
        ),
        schema: ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(MAX_QUERY_CHARS))
            .pattern(Some(r"\S")),
        example: Some("請求書 ダウンロード".into()),
    }
}

fn locale(what: &str) -> Described {
    Described {
        required: false,
        description: format!("{what} (`ja-jp`); detected from the query when absent."),
        schema: ObjectBuilder::new().schema_type(Type::String),
        example: Some("ja-jp".into()),
    }
}

fn bounded(bound: &Bounded, what: &str) -> Described {
    Described {
        required: false,
        description: format!(
            "{what}, {} to {} (default {}).",
            bound.min, bound.max, bound.default
        ),
        schema: ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(bound.min as f64))
            .maximum(Some(bound.max as f64))
            .default(Some(bound.default.into())),
        example: None,
    }
}

fn semantic_ratio() -> Described {
    let range = limits::SEMANTIC_RATIO;
    Described {
        required: false,
        description: format!(
            "Weight of meaning against words, {} to {}: {} matches words only, {} \
             meaning only (with an embedder configured; its tuned default when absent).",
            range.min, range.max, range.min, range.max
        ),
        schema: ObjectBuilder::new()
            .schema_type(Type::Number)
            .minimum(Some(f64::from(range.min)))
            .maximum(Some(f64::from(range.max))),
        example: None,
    }
}

fn facet_filters() -> impl Iterator<Item = (&'static str, Described)> {
    meta::facets().map(|m| {
        let described = Described {
            required: false,
            description: format!("Only articles with this `{}`.", m.key),
            schema: ObjectBuilder::new().schema_type(Type::String),
            example: None,
        };
        (m.name, described)
    })
}

fn as_you_type() -> Described {
    Described {
        required: false,
        description: "Made while the reader types (search boxes): analytics records it \
                      only once settled (`POST /events`)."
            .into(),
        schema: ObjectBuilder::new().schema_type(Type::Boolean),
        example: None,
    }
}

/// One parameter of a route: its name, how its value is read into the
/// route's parameters `P`, and how it is documented. A route's table is
/// the only place its parameter names are written: parsing, the duplicate
/// check and the OpenAPI document all read it.
struct Param<P: 'static> {
    name: &'static str,
    read: fn(&mut P, Value, &str) -> Result<(), String>,
    describe: fn() -> Described,
}

/// `/search`'s parameters, besides one filter per facet ([`meta::facets`]).
const SEARCH: &[Param<SearchParams>] = &[
    Param {
        name: "q",
        read: |p, v, name| v.text(name).map(|x| p.q = x),
        describe: query_text,
    },
    Param {
        name: "locale",
        read: |p, v, name| v.text(name).map(|x| p.locale = x),
        describe: || locale("Locale to search"),
    },
    Param {
        name: limits::SEARCH_LIMIT.name,
        read: |p, v, name| v.integer(name).map(|x| p.limit = x),
        describe: || bounded(&limits::SEARCH_LIMIT, "Page size"),
    },
    Param {
        name: limits::SEARCH_OFFSET.name,
        read: |p, v, name| v.integer(name).map(|x| p.offset = x),
        describe: || bounded(&limits::SEARCH_OFFSET, "Results to skip"),
    },
    Param {
        name: limits::SEMANTIC_RATIO.name,
        read: |p, v, name| v.number(name).map(|x| p.semantic_ratio = x),
        describe: semantic_ratio,
    },
    Param {
        name: "as_you_type",
        read: |p, v, name| v.flag(name).map(|x| p.as_you_type = x),
        describe: as_you_type,
    },
];

/// `/suggest`'s parameters.
const SUGGEST: &[Param<SuggestParams>] = &[
    Param {
        name: "q",
        read: |p, v, name| v.text(name).map(|x| p.q = x),
        describe: || Described {
            description: "The text typed so far.".into(),
            ..query_text()
        },
    },
    Param {
        name: "locale",
        read: |p, v, name| v.text(name).map(|x| p.locale = x),
        describe: || locale("Locale of the titles to complete"),
    },
    Param {
        name: limits::SUGGEST_LIMIT.name,
        read: |p, v, name| v.integer(name).map(|x| p.limit = x),
        describe: || bounded(&limits::SUGGEST_LIMIT, "Number of suggestions"),
    },
];

/// A table's parameters as documented.
fn described<P>(table: &[Param<P>]) -> impl Iterator<Item = (&'static str, Described)> + '_ {
    table.iter().map(|p| (p.name, (p.describe)()))
}

fn search_parameters() -> impl Iterator<Item = (&'static str, Described)> {
    described(SEARCH).chain(facet_filters())
}

fn as_query_parameters(params: impl Iterator<Item = (&'static str, Described)>) -> Vec<Parameter> {
    params
        .map(|(name, p)| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(if p.required {
                    Required::True
                } else {
                    Required::False
                })
                .description(Some(p.description))
                .schema(Some(p.schema))
                .example(p.example)
                .build()
        })
        .collect()
}

/// Search parameters, in the query string (GET) or a JSON body (POST):
/// `q`, `locale`, `limit`, `offset` and one filter per facet. Other keys
/// are ignored.
#[derive(Debug, Default)]
pub struct SearchParams {
    pub q: Option<String>,
    pub locale: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    pub semantic_ratio: Option<f32>,
    /// Made while the reader types (the search box): analytics records it
    /// only once the box says it settled.
    pub as_you_type: bool,
    /// (facet name, value), non-empty values only.
    filters: Vec<(&'static str, String)>,
}

impl SearchParams {
    /// The facet filters given, by facet name.
    pub fn filters(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.filters.iter().map(|(n, v)| (*n, v.as_str()))
    }
}

impl IntoParams for SearchParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        as_query_parameters(search_parameters())
    }
}

impl PartialSchema for SearchParams {
    fn schema() -> RefOr<Schema> {
        let mut object = ObjectBuilder::new();
        for (name, p) in search_parameters() {
            if p.required {
                object = object.required(name);
            }
            object = object.property(name, p.schema.description(Some(p.description)));
        }
        object.into()
    }
}

impl ToSchema for SearchParams {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("SearchParams")
    }
}

/// A parameter's value as it arrives: JSON has numbers, query strings text.
///
/// Text is tried first: every value of a query string is text, and each
/// variant tried before the one that fits builds an error message (no
/// value fits both `Text` and `Number`, so the order changes no result).
#[derive(Deserialize)]
#[serde(untagged)]
enum Value {
    Text(String),
    Number(i64),
    Other(serde_json::Value),
}

impl Value {
    fn text(self, name: &str) -> Result<Option<String>, String> {
        match self {
            Value::Text(text) => Ok(Some(text)),
            Value::Other(serde_json::Value::Null) => Ok(None),
            // Only JSON has numbers (query strings are text): `"q": 42` is
            // a client's mistake to report, not a search for "42".
            Value::Number(_) | Value::Other(_) => Err(format!("`{name}` must be a string")),
        }
    }

    fn flag(self, name: &str) -> Result<bool, String> {
        match self {
            Value::Number(n) => Ok(n != 0),
            Value::Text(text) => match text.trim() {
                "1" | "true" => Ok(true),
                "0" | "false" | "" => Ok(false),
                other => Err(format!("`{name}` must be true or false, got {other:?}")),
            },
            Value::Other(serde_json::Value::Bool(b)) => Ok(b),
            Value::Other(serde_json::Value::Null) => Ok(false),
            Value::Other(_) => Err(format!("`{name}` must be true or false")),
        }
    }

    fn number(self, name: &str) -> Result<Option<f32>, String> {
        let number = match self {
            Value::Number(n) => Some(n as f64),
            Value::Text(text) => text.trim().parse::<f64>().ok(),
            Value::Other(serde_json::Value::Null) => return Ok(None),
            Value::Other(value) => value.as_f64(),
        };
        match number.filter(|n| n.is_finite()) {
            Some(n) => Ok(Some(n as f32)),
            None => Err(format!("`{name}` must be a number")),
        }
    }

    fn integer(self, name: &str) -> Result<Option<i64>, String> {
        match self {
            Value::Number(n) => Ok(Some(n)),
            Value::Text(text) => text
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| format!("`{name}` must be an integer, got {text:?}")),
            Value::Other(serde_json::Value::Null) => Ok(None),
            Value::Other(_) => Err(format!("`{name}` must be an integer")),
        }
    }
}

/// The parameters as (name, value) pairs in order, with repeated known
/// names refused (`q=a&q=b` is ambiguous).
fn read_pairs<'de, D: Deserializer<'de>>(
    deserializer: D,
    known: fn(&str) -> bool,
) -> Result<BTreeMap<String, Value>, D::Error> {
    struct Pairs(fn(&str) -> bool);
    impl<'de> de::Visitor<'de> for Pairs {
        type Value = BTreeMap<String, Value>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of parameters")
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut pairs = BTreeMap::new();
            while let Some((name, value)) = map.next_entry::<String, Value>()? {
                if pairs.contains_key(&name) && (self.0)(&name) {
                    return Err(de::Error::custom(format!("duplicate parameter `{name}`")));
                }
                pairs.insert(name, value);
            }
            Ok(pairs)
        }
    }
    deserializer.deserialize_map(Pairs(known))
}

/// The entry of `table` named `name`.
fn find<P>(table: &'static [Param<P>], name: &str) -> Option<&'static Param<P>> {
    table.iter().find(|p| p.name == name)
}

impl<'de> Deserialize<'de> for SearchParams {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let known =
            |name: &str| find(SEARCH, name).is_some() || meta::facets().any(|m| m.name == name);
        let mut params = SearchParams::default();
        for (name, value) in read_pairs(deserializer, known)? {
            if let Some(param) = find(SEARCH, &name) {
                (param.read)(&mut params, value, &name).map_err(de::Error::custom)?;
            } else if let Some(facet) = meta::facets().find(|m| m.name == name)
                && let Some(text) = value.text(&name).map_err(de::Error::custom)?
                && !text.is_empty()
            {
                params.filters.push((facet.name, text));
            }
        }
        Ok(params)
    }
}

/// Suggest parameters (query string).
#[derive(Debug, Default)]
pub struct SuggestParams {
    pub q: Option<String>,
    pub locale: Option<String>,
    pub limit: Option<i64>,
}

impl<'de> Deserialize<'de> for SuggestParams {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut params = SuggestParams::default();
        for (name, value) in read_pairs(deserializer, |name| find(SUGGEST, name).is_some())? {
            if let Some(param) = find(SUGGEST, &name) {
                (param.read)(&mut params, value, &name).map_err(de::Error::custom)?;
            }
        }
        Ok(params)
    }
}

impl IntoParams for SuggestParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        as_query_parameters(described(SUGGEST))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_and_json_read_alike() {
        let from_query: SearchParams =
            serde_urlencoded_like("q=invoice&limit=5&service=partner-dashboard&topic=&x=1");
        assert_eq!(from_query.q.as_deref(), Some("invoice"));
        assert_eq!(from_query.limit, Some(5));
        assert_eq!(
            from_query.filters().collect::<Vec<_>>(),
            [("service", "partner-dashboard")]
        );
        let from_json: SearchParams =
            serde_json::from_str(r#"{"q": "invoice", "limit": 5, "locale": null}"#).unwrap();
        assert_eq!(from_json.limit, Some(5));
        assert_eq!(from_json.locale, None);
        assert!(serde_json::from_str::<SearchParams>(r#"{"q": ["a"]}"#).is_err());
        assert!(serde_json::from_str::<SearchParams>(r#"{"limit": "ten"}"#).is_err());
    }

    fn serde_urlencoded_like(query: &str) -> SearchParams {
        actix_web::web::Query::<SearchParams>::from_query(query)
            .unwrap()
            .into_inner()
    }

    #[test]
    fn documented_ranges_are_the_validated_ones() {
        let params = SearchParams::into_params(|| None);
        let limit = params.iter().find(|p| p.name == "limit").unwrap();
        let json = serde_json::to_value(limit).unwrap();
        assert_eq!(json["schema"]["maximum"], limits::SEARCH_LIMIT.max as f64);
        assert!(params.iter().any(|p| p.name == "service"));
    }

    #[test]
    fn every_documented_parameter_is_read_and_every_read_one_documented() {
        // A value each parameter accepts, so that reading it changes the
        // parsed parameters.
        let value = |name: &str| match name {
            "limit" | "offset" => "3",
            "semantic_ratio" => "0.5",
            "as_you_type" => "true",
            _ => "x",
        };
        let documented = SearchParams::into_params(|| None);
        assert_eq!(documented.len(), SEARCH.len() + meta::facets().count());
        for p in &documented {
            let query = format!("{}={}", p.name, value(&p.name));
            let parsed = serde_urlencoded_like(&query);
            assert_ne!(
                format!("{parsed:?}"),
                format!("{:?}", SearchParams::default()),
                "{query} is documented but not read"
            );
            let twice = format!("{query}&{query}");
            assert!(
                actix_web::web::Query::<SearchParams>::from_query(&twice).is_err(),
                "{twice} is not refused"
            );
        }
        let suggest = SuggestParams::into_params(|| None);
        assert_eq!(suggest.len(), SUGGEST.len());
        for p in &suggest {
            let query = format!("{}={}", p.name, value(&p.name));
            let parsed = actix_web::web::Query::<SuggestParams>::from_query(&query)
                .unwrap()
                .into_inner();
            assert_ne!(
                format!("{parsed:?}"),
                format!("{:?}", SuggestParams::default()),
                "{query} is documented but not read"
            );
        }
    }
}
