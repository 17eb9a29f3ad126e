//! A circuit breaker for query embedding: an embedder that keeps failing
//! in ways that cost time (timeouts, refused or busy connections, 5xx) is
//! skipped for a while, so each search answers lexically at once instead of
//! waiting out the query timeout — search-as-you-type sends a request per
//! keystroke.
//!
//! States, as in the usual pattern: *closed* (requests go through);
//! *open* after [`TRIP_AFTER`] such failures in a row (requests are refused
//! until the cool-down ends); then *half-open* (one request probes; the
//! others are refused until it answers). A success closes the breaker and
//! resets the cool-down; a failed probe opens it again for twice as long, up
//! to [`MAX_COOL_DOWN`]. Answers that come back fast but wrong (malformed,
//! wrong dimensions) do not trip it: they cost no time, and a reader of the
//! response sees the real reason.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Time-costing failures in a row that open the breaker.
pub const TRIP_AFTER: u32 = 3;
/// The first cool-down; each failed probe doubles it.
pub const FIRST_COOL_DOWN: Duration = Duration::from_secs(2);
pub const MAX_COOL_DOWN: Duration = Duration::from_secs(60);

/// Whether a request may go to the embedder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Go ahead (`probe`: the one request testing an open breaker).
    Allowed { probe: bool },
    /// Skip the embedder; it is retried in about this long.
    Refused { retry_in: Duration },
}

#[derive(Debug)]
struct State {
    failures: u32,
    /// While open: when the next probe may go.
    open_until: Option<Instant>,
    probing: bool,
    cool_down: Duration,
}

/// The breaker. Time is passed in, so its behaviour is testable.
#[derive(Debug)]
pub struct Breaker {
    state: Mutex<State>,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            state: Mutex::new(State {
                failures: 0,
                open_until: None,
                probing: false,
                cool_down: FIRST_COOL_DOWN,
            }),
        }
    }
}

/// What an attempt came to, for [`Breaker::record`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Failed after costing time: timeout, unreachable, busy, 429 or 5xx.
    SlowFailure,
    /// Failed fast with a wrong answer.
    FastFailure,
}

impl Breaker {
    /// Whether a request may go now.
    pub fn admit(&self, now: Instant) -> Admission {
        let mut s = self.lock();
        match s.open_until {
            None => Admission::Allowed { probe: false },
            Some(until) if now < until => Admission::Refused {
                retry_in: until - now,
            },
            Some(_) if s.probing => Admission::Refused {
                retry_in: Duration::ZERO,
            },
            Some(_) => {
                s.probing = true;
                Admission::Allowed { probe: true }
            }
        }
    }

    /// Records an admitted request's outcome. Returns `Some(cool_down)`
    /// when this outcome opened the breaker (for a log line).
    pub fn record(&self, outcome: Outcome, probe: bool, now: Instant) -> Option<Duration> {
        let mut s = self.lock();
        if probe {
            s.probing = false;
        }
        match outcome {
            Outcome::Success | Outcome::FastFailure => {
                s.failures = 0;
                s.open_until = None;
                s.cool_down = FIRST_COOL_DOWN;
                None
            }
            Outcome::SlowFailure if probe => {
                s.cool_down = (s.cool_down * 2).min(MAX_COOL_DOWN);
                s.open_until = Some(now + s.cool_down);
                Some(s.cool_down)
            }
            Outcome::SlowFailure => {
                s.failures += 1;
                if s.failures >= TRIP_AFTER && s.open_until.is_none() {
                    s.open_until = Some(now + s.cool_down);
                    Some(s.cool_down)
                } else {
                    None
                }
            }
        }
    }

    /// Whether requests are being refused (or one is probing).
    pub fn is_open(&self) -> bool {
        self.lock().open_until.is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_slow_failures_probes_after_the_cool_down_and_closes_on_success() {
        let b = Breaker::default();
        let t0 = Instant::now();
        for i in 0..TRIP_AFTER {
            assert_eq!(b.admit(t0), Admission::Allowed { probe: false });
            let opened = b.record(Outcome::SlowFailure, false, t0);
            assert_eq!(opened.is_some(), i + 1 == TRIP_AFTER);
        }
        assert!(b.is_open());
        assert!(
            matches!(b.admit(t0), Admission::Refused { retry_in } if retry_in == FIRST_COOL_DOWN)
        );
        // After the cool-down one request probes; the others are refused.
        let later = t0 + FIRST_COOL_DOWN;
        assert_eq!(b.admit(later), Admission::Allowed { probe: true });
        assert!(matches!(b.admit(later), Admission::Refused { .. }));
        // A failed probe doubles the cool-down.
        assert_eq!(
            b.record(Outcome::SlowFailure, true, later),
            Some(FIRST_COOL_DOWN * 2)
        );
        assert!(matches!(
            b.admit(later + FIRST_COOL_DOWN),
            Admission::Refused { .. }
        ));
        let again = later + FIRST_COOL_DOWN * 2;
        assert_eq!(b.admit(again), Admission::Allowed { probe: true });
        assert_eq!(b.record(Outcome::Success, true, again), None);
        assert!(!b.is_open());
        assert_eq!(b.admit(again), Admission::Allowed { probe: false });
    }

    #[test]
    fn fast_failures_and_successes_reset_the_count() {
        let b = Breaker::default();
        let t = Instant::now();
        for outcome in [Outcome::FastFailure, Outcome::Success] {
            for _ in 0..TRIP_AFTER - 1 {
                b.record(Outcome::SlowFailure, false, t);
            }
            b.record(outcome, false, t);
            b.record(Outcome::SlowFailure, false, t);
            assert!(!b.is_open(), "{outcome:?}");
            b.record(Outcome::Success, false, t);
        }
    }

    #[test]
    fn the_cool_down_is_bounded() {
        let b = Breaker::default();
        let mut t = Instant::now();
        for _ in 0..TRIP_AFTER {
            b.record(Outcome::SlowFailure, false, t);
        }
        for _ in 0..20 {
            t += MAX_COOL_DOWN;
            assert_eq!(b.admit(t), Admission::Allowed { probe: true });
            let cool_down = b.record(Outcome::SlowFailure, true, t).unwrap();
            assert!(cool_down <= MAX_COOL_DOWN);
        }
    }
}
