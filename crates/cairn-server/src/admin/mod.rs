//! The admin API (`/_cairn/...`) beyond status, cost and Contributor Insights.

pub mod clock;
pub mod explain;
pub mod faults;
pub mod snapshots;
