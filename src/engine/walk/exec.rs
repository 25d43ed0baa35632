//! Execution helpers every provider call shares: journal commits, retries of transient
//! errors, progress events.

use super::*;

impl<'a> Walk<'a> {
    /// Makes a state change durable (journal) and visible (in-memory state).
    pub(super) async fn commit(&self, record: &Record) -> Result<(), Diagnostic> {
        if let Some(j) = &self.journal {
            j.append(record).await.map_err(|e| Diagnostic::error("Failed to save state", format!("{e}. The change was made but could not be recorded; check the disk and run plan again.")))?;
        }
        self.state.locked().apply_record(record);
        if self.e.rollback {
            match record {
                Record::Put { addr, .. }
                | Record::Remove { addr }
                | Record::Depose { addr, .. }
                | Record::RemoveDeposed { addr } => self.finished.locked().push(addr.clone()),
                Record::Outputs { .. } => {}
            }
        }
        Ok(())
    }

    pub(super) async fn retry<T, F, Fut>(&self, addr: &str, mut f: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let mut delay = Duration::from_millis(200);
        let mut attempt = 1;
        loop {
            match f().await {
                Err(ProviderError::Transient(msg))
                    if attempt < 6 && !self.stop.load(Ordering::SeqCst) =>
                {
                    self.reporter.event(Event::Retrying {
                        addr,
                        attempt,
                        message: &msg,
                    });
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(10));
                    attempt += 1;
                }
                r => return r,
            }
        }
    }

    pub(super) async fn with_progress<T>(
        &self,
        addr: &str,
        action: Action,
        fut: impl Future<Output = T>,
    ) -> T {
        let started = Instant::now();
        tokio::pin!(fut);
        let period = Duration::from_secs(10);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            tokio::select! {
                r = &mut fut => return r,
                _ = tick.tick() => self.reporter.event(Event::StillRunning { addr, action, elapsed: started.elapsed() }),
            }
        }
    }
}
