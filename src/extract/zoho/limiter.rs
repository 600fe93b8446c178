//! `API_RATE_LIMIT_PER_HOUR`: at most N calls in any rolling hour.
//!
//! A sliding window of call instants rather than a token bucket: a bucket
//! refilled at N per hour lets up to 2N calls through in the first hour,
//! which is exactly the overshoot an org's daily credit budget cannot take.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;
use tracing::warn;

/// Counts calls over a rolling window and makes callers wait for room.
#[derive(Debug)]
pub struct RollingLimit {
    limit: usize,
    window: Duration,
    calls: Mutex<VecDeque<Instant>>,
}

impl RollingLimit {
    /// At most `per_hour` calls in any 60 minutes.
    pub fn per_hour(per_hour: u32) -> Self {
        Self::new(per_hour, Duration::from_secs(3600))
    }

    fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit: limit.max(1) as usize,
            window,
            calls: Mutex::new(VecDeque::new()),
        }
    }

    /// Waits until one more call fits in the window, then records it.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut calls = self.calls.lock().await;
                let now = Instant::now();
                while calls
                    .front()
                    .is_some_and(|first| now.duration_since(*first) >= self.window)
                {
                    calls.pop_front();
                }
                match calls.front() {
                    Some(first) if calls.len() >= self.limit => *first + self.window - now,
                    _ => {
                        calls.push_back(now);
                        return;
                    }
                }
            };
            warn!(
                limit = self.limit,
                wait_seconds = wait.as_secs(),
                "API_RATE_LIMIT_PER_HOUR reached: waiting for the oldest call to leave the window."
            );
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waits_for_the_oldest_call_to_leave_the_window() {
        let limit = RollingLimit::new(3, Duration::from_secs(60));
        let start = Instant::now();
        let elapsed = || Instant::now().duration_since(start).as_secs();
        for _ in 0..3 {
            limit.acquire().await;
            tokio::time::advance(Duration::from_secs(20)).await;
        }
        assert_eq!(elapsed(), 60);
        limit.acquire().await;
        assert_eq!(elapsed(), 60, "the call made at 0 s has left the window");
        limit.acquire().await;
        assert_eq!(elapsed(), 80, "waited for the call made at 20 s");
    }
}
