//! spawn: creating and finishing tasks.
//!   spawn_chain  — each task spawns the next; the last one signals the
//!                  main task (a oneshot handed down the chain; goc and Go:
//!                  an unbuffered channel)
//!   spawn_single — one spawner, the others just finish (goc and Go: a
//!                  waitgroup; here an atomic count and a Notify)
//! Argument: number of tasks.
use goc_bench_tokio as b;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tokio::sync::{oneshot, Notify};

fn chain(n: i64, done: oneshot::Sender<()>) {
    tokio::spawn(async move {
        if n == 0 {
            let _ = done.send(());
        } else {
            chain(n - 1, done);
        }
    });
}

struct WaitGroup {
    left: AtomicI64,
    zero: Notify,
}

fn main() {
    let n = b::arg(1_000_000);
    b::run(async move {
        let (tx, rx) = oneshot::channel();
        let t0 = b::now();
        chain(n, tx);
        rx.await.expect("chain");
        println!("bench=spawn_chain time_ns={} result={}", b::ns_since(t0), n);

        let wg = Arc::new(WaitGroup { left: AtomicI64::new(n), zero: Notify::new() });
        let t0 = b::now();
        for _ in 0..n {
            let wg = wg.clone();
            tokio::spawn(async move {
                if wg.left.fetch_sub(1, Ordering::AcqRel) == 1 {
                    wg.zero.notify_one();
                }
            });
        }
        wg.zero.notified().await;
        println!("bench=spawn_single time_ns={} result={}", b::ns_since(t0), n);
    });
}
