//! The searches this replica answered lately, kept small, to check the
//! search box's beacons about them without asking the store: a beacon
//! about a search another replica answered is checked by the store instead.

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::Instant;

use lru::LruCache;

use super::{EventError, RECENT_TTL};

/// Searches remembered at most (about 0.6 KB each): the last minutes of a
/// busy site. A beacon about an older one is checked by the store.
const CAPACITY: usize = 4_096;

/// What the checks need of a search.
struct Entry {
    /// The returned article ids, one per line (one allocation).
    returned: String,
    settled: bool,
    clicked: Vec<Box<str>>,
    made: Instant,
}

/// The outcome of checking a beacon here.
#[derive(Debug, PartialEq, Eq)]
pub enum Check {
    /// Not a search this replica remembers.
    Unknown,
    Refused(EventError),
    /// Taken; `settles` when it settles its search now.
    Accepted {
        settles: bool,
    },
}

/// Recent searches by id (ids are 128-bit hex: kept as numbers).
pub struct RecentSearches {
    entries: Mutex<LruCache<u128, Entry>>,
}

impl Default for RecentSearches {
    fn default() -> Self {
        RecentSearches {
            entries: Mutex::new(LruCache::new(
                NonZeroUsize::new(CAPACITY).expect("non-zero"),
            )),
        }
    }
}

fn key(search_id: &str) -> Option<u128> {
    (search_id.len() == 32)
        .then(|| u128::from_str_radix(search_id, 16).ok())
        .flatten()
}

impl RecentSearches {
    /// Remembers a search just answered (`returned`: its ids, one per line).
    pub fn remember(&self, search_id: &str, returned: String, settled: bool) {
        self.remember_recorded(search_id, returned, settled, Vec::new());
    }

    /// Remembers a search as the store has it.
    pub fn remember_recorded(
        &self,
        search_id: &str,
        returned: String,
        settled: bool,
        clicked: Vec<String>,
    ) {
        let Some(key) = key(search_id) else {
            return;
        };
        let entry = Entry {
            returned,
            settled,
            clicked: clicked.into_iter().map(String::into_boxed_str).collect(),
            made: Instant::now(),
        };
        self.lock().put(key, entry);
    }

    /// A settle beacon.
    pub fn settle(&self, search_id: &str) -> Check {
        self.with(search_id, |entry| {
            if entry.settled {
                return Check::Refused(EventError::Replayed);
            }
            entry.settled = true;
            Check::Accepted { settles: true }
        })
    }

    /// A click beacon: `article` at `position` must be what the search
    /// returned there, and not opened before.
    pub fn click(&self, search_id: &str, article: &str, position: u32) -> Check {
        self.with(search_id, |entry| {
            if entry.returned.split('\n').nth(position as usize) != Some(article)
                || entry.returned.is_empty()
            {
                return Check::Refused(EventError::NotAResult {
                    article: article.to_string(),
                    position,
                });
            }
            if entry.clicked.iter().any(|a| &**a == article) {
                return Check::Refused(EventError::Replayed);
            }
            entry.clicked.push(article.into());
            let settles = !entry.settled;
            entry.settled = true;
            Check::Accepted { settles }
        })
    }

    fn with(&self, search_id: &str, f: impl FnOnce(&mut Entry) -> Check) -> Check {
        let Some(key) = key(search_id) else {
            return Check::Unknown;
        };
        match self.lock().get_mut(&key) {
            Some(entry) if entry.made.elapsed() <= RECENT_TTL => f(entry),
            _ => Check::Unknown,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<u128, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn beacons_are_checked_against_the_search() {
        let recent = RecentSearches::default();
        recent.remember(ID, "a.md\nb.md".to_string(), false);
        assert_eq!(
            recent.click(ID, "a.md", 1),
            Check::Refused(EventError::NotAResult {
                article: "a.md".into(),
                position: 1
            })
        );
        assert_eq!(
            recent.click(ID, "b.md", 1),
            Check::Accepted { settles: true }
        );
        assert_eq!(
            recent.click(ID, "b.md", 1),
            Check::Refused(EventError::Replayed)
        );
        assert_eq!(recent.settle(ID), Check::Refused(EventError::Replayed));
        assert_eq!(
            recent.click(ID, "a.md", 0),
            Check::Accepted { settles: false }
        );
        assert_eq!(recent.settle("not-an-id"), Check::Unknown);
        assert_eq!(
            recent.settle("ffffffffffffffffffffffffffffffff"),
            Check::Unknown
        );
    }

    #[test]
    fn a_search_with_no_results_has_none_to_click() {
        let recent = RecentSearches::default();
        recent.remember(ID, String::new(), false);
        assert!(matches!(recent.click(ID, "", 0), Check::Refused(_)));
        assert_eq!(recent.settle(ID), Check::Accepted { settles: true });
    }
}
