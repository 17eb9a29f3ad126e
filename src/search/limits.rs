//! The limits of a request, each written once: the engine validates with
//! them, the HTTP layer parses with them and the OpenAPI document describes
//! them.

use super::types::SearchError;

/// Longest accepted query, in characters.
pub const MAX_QUERY_CHARS: usize = 1000;

/// An integer parameter's accepted range and default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounded {
    /// The parameter's name (`limit`).
    pub name: &'static str,
    /// The error code of a value out of range (`invalid_limit`).
    pub code: &'static str,
    pub min: usize,
    pub max: usize,
    pub default: usize,
}

impl Bounded {
    /// `value` if it is in range, else the error that says so.
    pub fn check(&self, value: i64) -> Result<usize, SearchError> {
        match usize::try_from(value) {
            Ok(v) if (self.min..=self.max).contains(&v) => Ok(v),
            _ => Err(SearchError::OutOfRange {
                bound: *self,
                value,
            }),
        }
    }

    /// [`Bounded::check`] of an optional value: absent is the default.
    pub fn check_or_default(&self, value: Option<i64>) -> Result<usize, SearchError> {
        value.map_or(Ok(self.default), |v| self.check(v))
    }
}

/// Results per search page.
pub const SEARCH_LIMIT: Bounded = Bounded {
    name: "limit",
    code: "invalid_limit",
    min: 1,
    max: 100,
    default: 10,
};

/// Results skipped: the deepest page reachable.
pub const SEARCH_OFFSET: Bounded = Bounded {
    name: "offset",
    code: "invalid_offset",
    min: 0,
    max: 10_000,
    default: 0,
};

/// Completions per suggest request (one keystroke's worth).
pub const SUGGEST_LIMIT: Bounded = Bounded {
    name: "limit",
    code: "invalid_limit",
    min: 1,
    max: 20,
    default: 8,
};

/// A fractional parameter's accepted range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fraction {
    /// The parameter's name (`semantic_ratio`).
    pub name: &'static str,
    pub min: f32,
    pub max: f32,
}

/// The weight of meaning against words.
pub const SEMANTIC_RATIO: Fraction = Fraction {
    name: "semantic_ratio",
    min: 0.0,
    max: 1.0,
};

/// Checks a semantic ratio: a number in [`SEMANTIC_RATIO`]'s range.
pub fn check_semantic_ratio(ratio: f32) -> Result<f32, SearchError> {
    if (SEMANTIC_RATIO.min..=SEMANTIC_RATIO.max).contains(&ratio) {
        Ok(ratio)
    } else {
        Err(SearchError::InvalidSemanticRatio(ratio))
    }
}

/// Checks a query's text: not blank, not longer than [`MAX_QUERY_CHARS`].
pub fn check_query(q: &str) -> Result<(), SearchError> {
    let chars = q.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(SearchError::QueryTooLong { chars });
    }
    if q.trim().is_empty() {
        return Err(SearchError::EmptyQuery);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_accept_their_range_only() {
        assert_eq!(SEARCH_LIMIT.check(1), Ok(1));
        assert_eq!(SEARCH_LIMIT.check(100), Ok(100));
        assert!(SEARCH_LIMIT.check(0).is_err() && SEARCH_LIMIT.check(101).is_err());
        assert!(SEARCH_OFFSET.check(-1).is_err());
        assert_eq!(SUGGEST_LIMIT.check_or_default(None), Ok(8));
        let error = SEARCH_OFFSET.check(-1).unwrap_err();
        assert_eq!(error.code(), "invalid_offset");
        assert_eq!(
            error.to_string(),
            "offset must be between 0 and 10000, got -1"
        );
    }

    #[test]
    fn the_semantic_ratio_is_a_fraction_from_0_to_1() {
        assert_eq!(check_semantic_ratio(0.0), Ok(0.0));
        assert_eq!(check_semantic_ratio(1.0), Ok(1.0));
        let error = check_semantic_ratio(1.5).unwrap_err();
        assert_eq!(error.code(), "invalid_semantic_ratio");
        assert_eq!(
            error.to_string(),
            "semantic_ratio must be between 0 and 1, got 1.5"
        );
    }
}
