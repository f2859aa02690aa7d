//! idle_own: N tasks, each blocked on a channel of its own until main
//! releases it (goc and Go: an unbuffered channel each, closed by main;
//! tokio has no rendezvous channel, so a oneshot each, whose sender main
//! drops, which wakes its receiver as closing the channel does). Main's
//! table of the N senders is allocated and written before the first RSS
//! reading, so it is not counted. Reports the time to start them all, the
//! growth of peak RSS / N and the time to release them. Argument: N.
use goc_bench_tokio as b;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tokio::sync::{oneshot, Notify};

struct Counter {
    left: AtomicI64,
    zero: Notify,
}
impl Counter {
    fn done(&self) {
        if self.left.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.zero.notify_one();
        }
    }
}

fn main() {
    let n = b::arg(1_000_000);
    b::run(async move {
        let mut own: Vec<Option<oneshot::Sender<()>>> = (0..n).map(|_| None).collect();
        let ready = Arc::new(Counter { left: AtomicI64::new(n), zero: Notify::new() });
        let done = Arc::new(Counter { left: AtomicI64::new(n), zero: Notify::new() });
        let before = b::maxrss_kb();
        let t0 = b::now();
        for slot in own.iter_mut() {
            let (tx, rx) = oneshot::channel::<()>();
            *slot = Some(tx);
            let (ready, done) = (ready.clone(), done.clone());
            tokio::spawn(async move {
                ready.done();
                let _ = rx.await; // Err once the sender is dropped
                done.done();
            });
        }
        ready.zero.notified().await;
        let t1 = b::ns_since(t0);
        // The last task counted itself ready before it first polled its
        // receiver; let every worker run what it has queued.
        for _ in 0..2 * b::procs() {
            tokio::task::yield_now().await;
        }
        let after = b::maxrss_kb();
        let t1i = b::now();
        own.clear();
        done.zero.notified().await;
        println!(
            "bench=idle_own time_ns={} result={} bytes_per_g={} release_ns={}",
            t1,
            n,
            (after - before) * 1024 / n,
            b::ns_since(t1i)
        );
    });
}
