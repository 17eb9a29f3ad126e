//! Locales.
//!
//! A [`Locale`] is a normalized BCP-47-like tag as docs sites write it in
//! paths (`ja-jp`, `zh-cn`): lower-case, `-` separated. Its [`Language`] (a
//! row of the [language registry](crate::language)) is derived from the
//! primary subtag and chooses the analyzer; it is never guessed from the text
//! of an article.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use crate::language::Language;

/// A normalized locale tag such as `ja-jp`.
///
/// Invariant: a primary language subtag of 2 or 3 ASCII letters, then up to
/// four subtags of 1 to 8 ASCII letters or digits, all lower-case and joined
/// by `-`. That makes it safe as a directory name and tells a locale folder
/// (`ja-jp`) from a content folder (`partner-center`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Locale(String);

/// Why a string is not a locale tag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid locale {0:?}: expected a tag like `ja-jp` or `en`")]
pub struct InvalidLocale(pub String);

impl Locale {
    /// Parses and normalizes a tag: `ja-JP`, `ja_JP` and ` ja-jp ` all give `ja-jp`.
    pub fn parse(tag: &str) -> Result<Locale, InvalidLocale> {
        let normalized: String = tag
            .trim()
            .chars()
            .map(|c| {
                if c == '_' {
                    '-'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        let mut subtags = normalized.split('-');
        let primary = subtags.next().unwrap_or("");
        let valid = (2..=3).contains(&primary.len())
            && primary.chars().all(|c| c.is_ascii_lowercase())
            && subtags.clone().count() <= 4
            && subtags.all(|s| {
                (1..=8).contains(&s.len())
                    && s.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            });
        if valid {
            Ok(Locale(normalized))
        } else {
            Err(InvalidLocale(tag.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The language whose analyzer serves this locale.
    pub fn language(&self) -> Language {
        Language::from_primary_subtag(self.0.split('-').next().unwrap_or(""))
    }

    /// Whether this locale's articles are the originals the others
    /// translate ([`Language::ORIGINALS`]).
    pub fn holds_originals(&self) -> bool {
        self.language() == Language::ORIGINALS
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Locale {
    type Err = InvalidLocale;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Locale::parse(s)
    }
}

impl TryFrom<String> for Locale {
    type Error = InvalidLocale;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Locale::parse(&s)
    }
}

impl From<Locale> for String {
    fn from(locale: Locale) -> String {
        locale.0
    }
}

impl AsRef<str> for Locale {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_separator() {
        assert_eq!(Locale::parse("ja-JP").unwrap().as_str(), "ja-jp");
        assert_eq!(Locale::parse("zh_CN").unwrap().as_str(), "zh-cn");
        assert_eq!(Locale::parse(" en ").unwrap().as_str(), "en");
        assert_eq!(Locale::parse("zh-Hans-CN").unwrap().as_str(), "zh-hans-cn");
    }

    #[test]
    fn rejects_what_cannot_be_a_directory_name() {
        for bad in [
            "",
            "-",
            "../etc",
            "ja/jp",
            "ja--jp",
            "日本",
            "ja-",
            "partner-center",
            "a",
        ] {
            assert!(Locale::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn language_follows_primary_subtag() {
        assert_eq!(Locale::parse("ja-jp").unwrap().language(), Language::Ja);
        assert_eq!(Locale::parse("zh-tw").unwrap().language(), Language::Zh);
        assert_eq!(Locale::parse("pt-br").unwrap().language(), Language::Pt);
        assert_eq!(Locale::parse("pl-pl").unwrap().language(), Language::Other);
    }
}
