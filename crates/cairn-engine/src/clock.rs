//! The one source of time for the engine; tests substitute a clock they can move.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch.
    fn now_seconds(&self) -> f64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now_seconds(&self) -> f64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0)
    }
}

/// 9999-12-31T23:59:59Z: the virtual clock goes no further.
const LATEST: f64 = 253_402_300_799.0;

/// `cairn serve --virtual-clock`: real time plus an offset the admin API moves
/// forward (`cairn clock advance 2h`, `set 2027-01-01T00:00:00Z`). It keeps running
/// between moves, and never goes back: every time the engine has handed out (stream
/// sequence numbers, backups, PITR history) stays in the past.
pub struct VirtualClock {
    offset: Mutex<f64>,
}

impl Default for VirtualClock {
    fn default() -> Self {
        VirtualClock::new()
    }
}

impl VirtualClock {
    pub fn new() -> Self {
        VirtualClock {
            offset: Mutex::new(0.0),
        }
    }

    /// Moves the clock `seconds` forward (a negative amount is refused).
    pub fn advance(&self, seconds: f64) -> Result<f64, String> {
        if !seconds.is_finite() || seconds < 0.0 {
            return Err("the clock only moves forward".to_string());
        }
        let mut offset = self.offset.lock().unwrap_or_else(|p| p.into_inner());
        if SystemClock.now_seconds() + *offset + seconds > LATEST {
            return Err("the clock stops at 9999-12-31T23:59:59Z".to_string());
        }
        *offset += seconds;
        Ok(SystemClock.now_seconds() + *offset)
    }

    /// Sets the clock to `seconds` since the epoch, if that is not in its past.
    pub fn set(&self, seconds: f64) -> Result<f64, String> {
        let mut offset = self.offset.lock().unwrap_or_else(|p| p.into_inner());
        let real = SystemClock.now_seconds();
        if !seconds.is_finite() || seconds < real + *offset {
            return Err("the clock only moves forward".to_string());
        }
        if seconds > LATEST {
            return Err("the clock stops at 9999-12-31T23:59:59Z".to_string());
        }
        *offset = seconds - real;
        Ok(seconds)
    }

    /// How far ahead of real time the clock runs, in seconds.
    pub fn offset(&self) -> f64 {
        *self.offset.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clock for VirtualClock {
    fn now_seconds(&self) -> f64 {
        SystemClock.now_seconds() + self.offset()
    }
}

/// A clock that only moves when told to.
pub struct ManualClock {
    now: Mutex<f64>,
}

impl ManualClock {
    pub fn new(start_seconds: f64) -> Self {
        ManualClock {
            now: Mutex::new(start_seconds),
        }
    }

    pub fn advance(&self, seconds: f64) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) += seconds;
    }
}

impl Clock for ManualClock {
    fn now_seconds(&self) -> f64 {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}
