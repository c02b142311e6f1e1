//! Group commit for fsync: fjall has none, so concurrent committers that each need
//! their commit on disk share one fsync. The first waiter becomes the leader and syncs
//! everything committed so far; the others wait for a sync that covers their ticket.

use std::sync::{Condvar, Mutex};

#[derive(Default)]
struct State {
    /// Tickets handed out (commits that finished writing to the journal).
    issued: u64,
    /// Every ticket up to this one is on disk.
    synced: u64,
    leader_active: bool,
}

#[derive(Default)]
pub(crate) struct GroupSync {
    state: Mutex<State>,
    done: Condvar,
}

impl GroupSync {
    /// Waits until a sync that started after this call has finished; `sync` is the
    /// fsync to run when this caller becomes the leader.
    pub(crate) fn wait_durable<E>(&self, sync: impl Fn() -> Result<(), E>) -> Result<(), E> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.issued += 1;
        let ticket = state.issued;
        loop {
            if state.synced >= ticket {
                return Ok(());
            }
            if !state.leader_active {
                state.leader_active = true;
                let target = state.issued;
                drop(state);
                let result = sync();
                state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                state.leader_active = false;
                if result.is_ok() {
                    state.synced = state.synced.max(target);
                }
                self.done.notify_all();
                result?;
                continue;
            }
            state = self.done.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn concurrent_waiters_share_syncs_and_all_return() {
        let group = Arc::new(GroupSync::default());
        let syncs = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let (group, syncs) = (group.clone(), syncs.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        group
                            .wait_durable(|| {
                                syncs.fetch_add(1, Ordering::SeqCst);
                                std::thread::sleep(std::time::Duration::from_micros(200));
                                Ok::<(), ()>(())
                            })
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let n = syncs.load(Ordering::SeqCst);
        assert!(n >= 1 && n <= 800, "{n} syncs for 800 commits");
    }
}
