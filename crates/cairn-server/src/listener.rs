//! The accept loop's defences: a cap on open connections (past it, new connections
//! wait in the kernel's backlog while open ones keep being served), a growing pause
//! after a failed accept (EMFILE would otherwise spin a core), and log lines that
//! cannot flood the disk.

use std::time::{Duration, Instant};

/// The pause after a failed accept: 5 ms, doubling to at most one second; reset by
/// the next successful accept.
pub(crate) struct AcceptBackoff {
    next: Duration,
}

const FIRST_PAUSE: Duration = Duration::from_millis(5);
const LONGEST_PAUSE: Duration = Duration::from_secs(1);

impl AcceptBackoff {
    pub(crate) fn new() -> Self {
        AcceptBackoff { next: FIRST_PAUSE }
    }

    pub(crate) fn failed(&mut self) -> Duration {
        let pause = self.next;
        self.next = (self.next * 2).min(LONGEST_PAUSE);
        pause
    }

    pub(crate) fn succeeded(&mut self) {
        self.next = FIRST_PAUSE;
    }
}

/// Lets one line through per `interval`, and says how many were held back.
pub(crate) struct RateLimitedLog {
    interval: Duration,
    last: Option<Instant>,
    suppressed: u64,
}

impl RateLimitedLog {
    pub(crate) fn new(interval: Duration) -> Self {
        RateLimitedLog {
            interval,
            last: None,
            suppressed: 0,
        }
    }

    /// Some(number of lines suppressed since the last one) if this line may be logged.
    pub(crate) fn allow(&mut self, now: Instant) -> Option<u64> {
        if self.last.is_some_and(|last| now.duration_since(last) < self.interval) {
            self.suppressed += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.suppressed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_second_and_resets() {
        let mut b = AcceptBackoff::new();
        let pauses: Vec<_> = (0..10).map(|_| b.failed().as_millis()).collect();
        assert_eq!(pauses, vec![5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        b.succeeded();
        assert_eq!(b.failed(), FIRST_PAUSE);
    }

    #[test]
    fn repeated_lines_are_held_back_and_counted() {
        let mut log = RateLimitedLog::new(Duration::from_secs(5));
        let start = Instant::now();
        assert_eq!(log.allow(start), Some(0));
        assert_eq!(log.allow(start + Duration::from_secs(1)), None);
        assert_eq!(log.allow(start + Duration::from_secs(2)), None);
        assert_eq!(log.allow(start + Duration::from_secs(6)), Some(2));
    }
}
