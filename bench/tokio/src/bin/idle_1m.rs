//! idle_1m: N tasks blocked on one shared object until it is closed
//! (goc and Go: N goroutines blocked receiving from one unbuffered channel
//! that main then closes). tokio's channels have one receiver, so the tasks
//! wait on a shared Semaphore with no permits, and main closes it, which
//! wakes every waiter (as closing the channel does). Reports the time to
//! start them all, the growth of peak RSS / N and the time to release them.
//! Argument: N.
use goc_bench_tokio as b;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tokio::sync::{Notify, Semaphore};

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
        let release = Arc::new(Semaphore::new(0));
        let ready = Arc::new(Counter { left: AtomicI64::new(n), zero: Notify::new() });
        let done = Arc::new(Counter { left: AtomicI64::new(n), zero: Notify::new() });
        let before = b::maxrss_kb();
        let t0 = b::now();
        for _ in 0..n {
            let (release, ready, done) = (release.clone(), ready.clone(), done.clone());
            tokio::spawn(async move {
                let acquire = release.acquire();
                ready.done();
                let _ = acquire.await; // Err once closed
                done.done();
            });
        }
        ready.zero.notified().await;
        let t1 = b::ns_since(t0);
        // The last task counted itself ready before it first polled the
        // semaphore; let every worker run what it has queued.
        for _ in 0..2 * b::procs() {
            tokio::task::yield_now().await;
        }
        let after = b::maxrss_kb();
        let t1i = b::now();
        release.close();
        done.zero.notified().await;
        println!(
            "bench=idle_1m time_ns={} result={} bytes_per_g={} release_ns={}",
            t1,
            n,
            (after - before) * 1024 / n,
            b::ns_since(t1i)
        );
    });
}
