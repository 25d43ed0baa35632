//! Waiting for a remote object to reach a state: [`poll_until`], with a deadline and
//! exponential backoff, so no resource writes its own status loop.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::ProviderError;

/// One observation of a status being waited on.
#[derive(Debug)]
pub enum Poll<T> {
    /// The wait is over; the value is what the caller wanted to know.
    Ready(T),
    /// Not yet; the status seen, named in the timeout error.
    Pending(String),
}

/// The first and the largest pause between two observations.
pub const FIRST_DELAY: Duration = Duration::from_millis(100);
pub const MAX_DELAY: Duration = Duration::from_secs(10);

/// Calls `check` until it answers [`Poll::Ready`] or `timeout` has passed, pausing
/// 0.1 s, 0.2 s, 0.4 s … (at most 10 s) in between. A transient error counts as "not
/// yet"; any other error ends the wait. `what` names the wait in the timeout error
/// ("SageMaker endpoint ml-prod to be InService").
pub async fn poll_until<T, F, Fut>(
    what: &str,
    timeout: Duration,
    mut check: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, ProviderError>>,
{
    let started = Instant::now();
    let mut delay = FIRST_DELAY;
    loop {
        let status = match check().await {
            Ok(Poll::Ready(v)) => return Ok(v),
            Ok(Poll::Pending(status)) => status,
            Err(ProviderError::Transient(e)) => e,
            Err(e) => return Err(e),
        };
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            return Err(ProviderError::Timeout {
                what: format!("{what} (last seen: {status})"),
                seconds: timeout.as_secs(),
            });
        }
        tokio::time::sleep(delay.min(timeout - elapsed)).await;
        delay = (delay * 2).min(MAX_DELAY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waits_with_backoff_then_times_out_naming_the_last_status() {
        let mut seen = 0;
        let r: Result<(), _> = poll_until("thing to be ready", Duration::from_secs(5), || {
            seen += 1;
            async { Ok(Poll::Pending("Creating".to_string())) }
        })
        .await;
        let e = r.unwrap_err().to_string();
        assert_eq!(
            e,
            "timed out after 5s waiting for thing to be ready (last seen: Creating)"
        );
        // 0.1 + 0.2 + 0.4 + 0.8 + 1.6 = 3.1 s, then 1.9 s more: 7 observations.
        assert_eq!(seen, 7);
    }

    #[tokio::test(start_paused = true)]
    async fn transient_errors_are_retried_and_others_end_the_wait() {
        let mut n = 0;
        let r = poll_until("x", Duration::from_secs(60), || {
            n += 1;
            let k = n;
            async move {
                match k {
                    1 => Err(ProviderError::Transient("throttled".into())),
                    2 => Ok(Poll::Pending("Creating".into())),
                    _ => Ok(Poll::Ready(k)),
                }
            }
        })
        .await;
        assert_eq!(r.unwrap(), 3);
        let r: Result<(), _> = poll_until("x", Duration::from_secs(60), || async {
            Err(ProviderError::Api("denied".into()))
        })
        .await;
        assert_eq!(r.unwrap_err().to_string(), "denied");
    }
}
