//! YAML front matter of DocFX articles.
//!
//! Only the keys kensaku uses are read; every other key is left where it is.
//! Values are read tolerantly: a scalar of any YAML type becomes a string,
//! `keywords` may be a string (comma separated) or a list.

use serde_norway::Value;

use super::meta::{META_FIELDS, Meta};

/// The metadata kensaku reads from an article's front matter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub description: Option<String>,
    pub keywords: Vec<String>,
    /// `ms.contentlocale` as written (`ja-JP`); normalized by the caller.
    pub content_locale: Option<String>,
    /// The keys of [`META_FIELDS`].
    pub meta: Meta,
}

/// Why the front matter could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontMatterError {
    #[error("front matter starts with `---` but has no closing `---` line")]
    Unclosed,
    #[error("front matter is not valid YAML: {0}")]
    Yaml(String),
    #[error("front matter is not a YAML mapping")]
    NotAMapping,
}

/// Splits `text` into its front matter (if any) and the body that follows.
///
/// `text` must already have its BOM removed and line endings normalized to `\n`.
pub fn split(text: &str) -> Result<(Option<&str>, &str), FrontMatterError> {
    let Some(rest) = text.strip_prefix("---\n") else {
        return Ok((None, text));
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            let yaml = &rest[..offset];
            let body = &rest[offset + line.len()..];
            return Ok((Some(yaml), body));
        }
        offset += line.len();
    }
    Err(FrontMatterError::Unclosed)
}

/// Parses front matter YAML.
pub fn parse(yaml: &str) -> Result<FrontMatter, FrontMatterError> {
    if yaml.trim().is_empty() {
        return Ok(FrontMatter::default());
    }
    let value: Value =
        serde_norway::from_str(yaml).map_err(|e| FrontMatterError::Yaml(e.to_string()))?;
    let Value::Mapping(map) = value else {
        return Err(FrontMatterError::NotAMapping);
    };
    let get = |key: &str| map.get(key).and_then(scalar_string);
    let mut meta = Meta::default();
    for field in META_FIELDS {
        if let Some(value) = get(field.key) {
            meta.set(field.name, value);
        }
    }
    Ok(FrontMatter {
        title: get("title"),
        description: get("description"),
        keywords: map.get("keywords").map(list_of_strings).unwrap_or_default(),
        content_locale: get("ms.contentlocale"),
        meta,
    })
}

fn scalar_string(value: &Value) -> Option<String> {
    let s = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Tagged(tagged) => return scalar_string(&tagged.value),
        Value::Null | Value::Sequence(_) | Value::Mapping(_) => return None,
    };
    (!s.is_empty()).then_some(s)
}

fn list_of_strings(value: &Value) -> Vec<String> {
    match value {
        Value::Sequence(items) => items.iter().filter_map(scalar_string).collect(),
        other => scalar_string(other)
            .map(|s| {
                s.split([',', '、', '，'])
                    .map(|k| k.trim().to_string())
                    .filter(|k| !k.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_parses_docfx_front_matter() {
        let text = "---\ntitle: 顧客へのサポートの提供\nms.contentlocale: ja-JP\nms.locfileid: \"112489885\"\nms.custom:\n- a\n- b\nkeywords: a, b\n---\n# Body\n";
        let (yaml, body) = split(text).unwrap();
        assert_eq!(body, "# Body\n");
        let fm = parse(yaml.unwrap()).unwrap();
        assert_eq!(fm.title.as_deref(), Some("顧客へのサポートの提供"));
        assert_eq!(fm.content_locale.as_deref(), Some("ja-JP"));
        assert_eq!(fm.meta.get("locfileid"), Some("112489885"));
        assert_eq!(fm.keywords, vec!["a", "b"]);
    }

    #[test]
    fn no_front_matter_is_not_an_error() {
        assert_eq!(split("# Title\n").unwrap(), (None, "# Title\n"));
    }

    #[test]
    fn reports_unclosed_and_malformed() {
        assert_eq!(split("---\ntitle: x\n"), Err(FrontMatterError::Unclosed));
        assert!(matches!(
            parse("title: [unclosed"),
            Err(FrontMatterError::Yaml(_))
        ));
        assert_eq!(parse("- a\n- b"), Err(FrontMatterError::NotAMapping));
    }

    #[test]
    fn numbers_and_dates_become_strings() {
        let fm = parse("ms.date: 01/22/2021\nms.locfileid: 112489885\ntitle: 2021").unwrap();
        assert_eq!(fm.meta.get("date"), Some("01/22/2021"));
        assert_eq!(fm.meta.get("locfileid"), Some("112489885"));
        assert_eq!(fm.title.as_deref(), Some("2021"));
    }
}
