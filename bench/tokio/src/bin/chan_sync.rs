//! chan_sync: hand-offs between two tasks that alternate sending and
//! receiving (goc and Go: Go's BenchmarkChanSync, two goroutines on one
//! unbuffered channel). tokio has no rendezvous channel and its mpsc has one
//! receiver, so this twin uses two mpsc channels of capacity 1 (the least
//! tokio allows), one each way: a sender does not wait for its value to be
//! taken, but each task waits for the other's reply, so exactly one value is
//! in flight, as in the rendezvous version. result: the number of sends in
//! all, as in goc's and Go's.
//! (pingpong_hog has no twin: tokio does not preempt a task that spins, so
//! at one worker the hog would never let the others run.)
use goc_bench_tokio as b;
use tokio::sync::mpsc;

const CALLS_PER_SCHED: i64 = 1000;

fn main() {
    let n = b::arg(1_000_000);
    b::run(async move {
        let procs = 2;
        let nchunks = n / CALLS_PER_SCHED / procs * procs;
        let sends = nchunks * CALLS_PER_SCHED;
        let (ab_tx, mut ab_rx) = mpsc::channel::<i32>(1);
        let (ba_tx, mut ba_rx) = mpsc::channel::<i32>(1);
        let t0 = b::now();
        let a = tokio::spawn(async move {
            for _ in 0..sends / 2 {
                ab_tx.send(0).await.expect("send");
                ba_rx.recv().await.expect("recv");
            }
        });
        let bb = tokio::spawn(async move {
            for _ in 0..sends / 2 {
                ab_rx.recv().await.expect("recv");
                ba_tx.send(0).await.expect("send");
            }
        });
        a.await.expect("a");
        bb.await.expect("b");
        println!("bench=chan_sync time_ns={} result={}", b::ns_since(t0), sends);
    });
}
