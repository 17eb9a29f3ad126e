//! Query-time analyzers, pooled per thread.
//!
//! Building an analyzer allocates the segmenters' lattices and buffers,
//! which are better reused across queries; analyzing the same short query
//! with a fresh Japanese analyzer costs several times the analysis itself.
//! [`take`] lends one from the thread's pool and the guard gives it back
//! when dropped, so a query path cannot forget to.

use std::cell::RefCell;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use tantivy::tokenizer::TextAnalyzer;

use crate::analysis;
use crate::locale::Language;

thread_local! {
    static POOL: RefCell<HashMap<Language, Vec<TextAnalyzer>>> = RefCell::new(HashMap::new());
}

/// An analyzer lent by the thread's pool; returned to it on drop.
pub struct Pooled {
    language: Language,
    analyzer: Option<TextAnalyzer>,
    /// Stays on the thread whose pool lent it.
    _local: PhantomData<*const ()>,
}

/// Lends an analyzer of `language` (built on the thread's first request).
pub fn take(language: Language) -> Pooled {
    let analyzer = POOL
        .with(|pool| pool.borrow_mut().get_mut(&language).and_then(Vec::pop))
        .unwrap_or_else(|| analysis::build(language));
    Pooled {
        language,
        analyzer: Some(analyzer),
        _local: PhantomData,
    }
}

impl Deref for Pooled {
    type Target = TextAnalyzer;
    fn deref(&self) -> &TextAnalyzer {
        self.analyzer.as_ref().expect("present until drop")
    }
}

impl DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut TextAnalyzer {
        self.analyzer.as_mut().expect("present until drop")
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(analyzer) = self.analyzer.take() {
            // During thread teardown the pool may be gone: then just drop.
            let _ = POOL.try_with(|pool| {
                pool.borrow_mut()
                    .entry(self.language)
                    .or_default()
                    .push(analyzer)
            });
        }
    }
}

/// The three analyzers planning a query needs for one locale.
pub struct QueryAnalyzers {
    /// The locale's own: the one that built its index.
    pub localized: Pooled,
    /// English, for the `english` field (bilingual articles' originals).
    pub english: Pooled,
    /// Normalizing without stemming, to read the word being typed.
    pub plain: Pooled,
}

impl QueryAnalyzers {
    pub fn for_language(language: Language) -> QueryAnalyzers {
        QueryAnalyzers {
            localized: take(language),
            english: take(Language::ORIGINALS),
            plain: take(Language::Other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analyzers_go_back_to_the_pool() {
        let pooled = |language| POOL.with(|p| p.borrow().get(&language).map_or(0, Vec::len));
        let before = pooled(Language::Fr);
        {
            let mut a = take(Language::Fr);
            let _b = take(Language::Fr);
            assert_eq!(analysis::analyze(&mut a, "factures").len(), 1);
        }
        assert_eq!(pooled(Language::Fr), before.max(2));
    }
}
