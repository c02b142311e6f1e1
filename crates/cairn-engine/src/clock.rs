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
