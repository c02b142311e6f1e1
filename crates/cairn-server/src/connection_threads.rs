//! Connection threads: each accepted connection is served, for its whole life, by
//! one thread running a single-threaded async runtime (the thread with the fewest
//! open connections when it arrives).
//!
//! Why not the work-stealing runtime for connections: a request is short, and on a
//! multi-threaded runtime every connection that turns readable while a worker is
//! busy wakes a parked worker to steal it, most often to find nothing left. Those
//! wake-ups and thread switches were the largest cost left in a request after the
//! work itself (docs/bench/2026-12-07-connection-threads.txt). With one runtime per
//! thread a connection's requests never change thread and nothing is stolen.
//!
//! The price: a request that blocks (a storage read that waits on the disk) holds up
//! the other connections of its thread rather than being worked around; backends
//! whose every call waits (fsync per commit, PostgreSQL) already run their calls on
//! the blocking pool (`ServerConfig::engine_blocks`).

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use tokio::runtime::Handle;

/// A set of threads, each driving its own single-threaded runtime, that serve
/// connections handed to them. Shared by every listener of a server; [`stop`] ends
/// the threads. (Dropping the last reference stops them too, but the connections
/// they serve hold references: call `stop` once the listeners are done.)
///
/// [`stop`]: ConnectionThreads::stop
pub struct ConnectionThreads {
    threads: Vec<Worker>,
    running: Mutex<Vec<(tokio::sync::oneshot::Sender<()>, JoinHandle<()>)>>,
}

struct Worker {
    handle: Handle,
    open: Arc<AtomicUsize>,
}

impl ConnectionThreads {
    /// Starts `count` threads (at least one) with stacks of `stack_size` bytes.
    pub fn start(count: usize, stack_size: usize) -> std::io::Result<Arc<Self>> {
        let mut threads = Vec::new();
        let mut running = Vec::new();
        for n in 0..count.max(1) {
            // Blocking calls go to the serving runtime's pool (see `Shared::blocking`);
            // the stack size is for any that would not.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .thread_stack_size(stack_size)
                .build()?;
            let handle = runtime.handle().clone();
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let thread = std::thread::Builder::new()
                .name(format!("cairn-conn-{n}"))
                .stack_size(stack_size)
                .spawn(move || {
                    runtime.block_on(async move {
                        let _ = stopped.await;
                    });
                })?;
            threads.push(Worker {
                handle,
                open: Arc::new(AtomicUsize::new(0)),
            });
            running.push((stop, thread));
        }
        Ok(Arc::new(ConnectionThreads {
            threads,
            running: Mutex::new(running),
        }))
    }

    /// How many threads serve connections.
    pub fn len(&self) -> usize {
        self.threads.len()
    }

    /// Always false: there is at least one thread.
    pub fn is_empty(&self) -> bool {
        self.threads.is_empty()
    }

    /// Runs a connection's future on the thread with the fewest open connections.
    /// `make` is called on that thread, inside its runtime (so a socket made there
    /// registers with that runtime's I/O driver).
    pub(crate) fn serve<F, Fut>(&self, make: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let Some(worker) = self.threads.iter().min_by_key(|w| w.open.load(Ordering::Relaxed)) else {
            return;
        };
        worker.open.fetch_add(1, Ordering::Relaxed);
        let open = OpenConnection(worker.open.clone());
        worker.handle.spawn(async move {
            make().await;
            drop(open);
        });
    }

    /// Ends the threads (their runtimes drop whatever connections they still hold)
    /// and waits for them (except the calling thread, if it is one of them: the last
    /// reference may go with a connection). Idempotent.
    pub fn stop(&self) {
        let running = std::mem::take(&mut *self.running.lock().unwrap_or_else(|e| e.into_inner()));
        for (stop, thread) in running {
            let _ = stop.send(());
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for ConnectionThreads {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Counts a connection as open on its thread until dropped.
struct OpenConnection(Arc<AtomicUsize>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    const STACK: usize = 256 * 1024;
    const WAIT: Duration = Duration::from_secs(10);

    fn thread_name() -> String {
        std::thread::current().name().unwrap_or_default().to_string()
    }

    /// Serves a connection that reports its thread, then stays open until `close` fires.
    fn open_connection(threads: &ConnectionThreads) -> (String, tokio::sync::oneshot::Sender<()>) {
        let (name_tx, name_rx) = mpsc::channel();
        let (close, closed) = tokio::sync::oneshot::channel::<()>();
        threads.serve(move || async move {
            name_tx.send(thread_name()).unwrap();
            let _ = closed.await;
        });
        (name_rx.recv_timeout(WAIT).unwrap(), close)
    }

    fn open_counts(threads: &ConnectionThreads) -> Vec<usize> {
        threads.threads.iter().map(|w| w.open.load(Ordering::Relaxed)).collect()
    }

    #[test]
    fn a_connection_runs_inside_a_runtime_on_a_connection_thread() {
        let threads = ConnectionThreads::start(2, STACK).unwrap();
        let (tx, rx) = mpsc::channel();
        threads.serve(move || {
            // Built on the thread that serves it, inside its runtime: a socket made
            // here registers with that thread's I/O driver.
            let in_runtime = Handle::try_current().is_ok();
            async move {
                tokio::time::sleep(Duration::from_millis(1)).await;
                tx.send((thread_name(), in_runtime)).unwrap();
            }
        });
        let (name, in_runtime) = rx.recv_timeout(WAIT).unwrap();
        assert!(name.starts_with("cairn-conn-"), "served on {name:?}");
        assert!(in_runtime);
    }

    #[test]
    fn a_new_connection_goes_to_the_thread_with_the_fewest_open() {
        let threads = ConnectionThreads::start(2, STACK).unwrap();
        let (first, _keep_first) = open_connection(&threads);
        let (second, close_second) = open_connection(&threads);
        assert_ne!(first, second, "two connections on two idle threads share one");
        // The second thread becomes the idle one (round robin would pick the first).
        close_second.send(()).unwrap();
        let deadline = std::time::Instant::now() + WAIT;
        while open_counts(&threads).iter().sum::<usize>() != 1 {
            assert!(
                std::time::Instant::now() < deadline,
                "the closed connection is still counted"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        let (third, _keep_third) = open_connection(&threads);
        assert_eq!(third, second, "the third connection did not go to the idle thread");
        assert_eq!(open_counts(&threads), vec![1, 1]);
    }

    #[test]
    fn stop_ends_the_threads_and_drops_open_connections() {
        let threads = ConnectionThreads::start(3, STACK).unwrap();
        assert_eq!(threads.len(), 3);
        let (dropped_tx, dropped_rx) = mpsc::channel();
        struct Dropped(mpsc::Sender<()>);
        impl Drop for Dropped {
            fn drop(&mut self) {
                let _ = self.0.send(());
            }
        }
        let (started_tx, started_rx) = mpsc::channel();
        threads.serve(move || async move {
            let _guard = Dropped(dropped_tx);
            started_tx.send(()).unwrap();
            std::future::pending::<()>().await;
        });
        started_rx.recv_timeout(WAIT).unwrap();
        threads.stop();
        dropped_rx
            .recv_timeout(WAIT)
            .expect("the open connection outlived stop");
        assert!(threads.running.lock().unwrap().is_empty());
        threads.stop();
    }
}
