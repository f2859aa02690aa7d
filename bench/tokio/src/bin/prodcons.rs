//! prodcons: P producers and P consumers on one channel (Go's
//! benchmarkChanProdCons(chanSize, localWork)). tokio's mpsc has a single
//! receiver, so the P consumers share it behind a tokio::sync::Mutex (the
//! usual tokio idiom for several consumers), and its capacity is at least
//! 1: the c0 row uses capacity 1 where goc and Go use an unbuffered
//! channel. The work loop is the same foo*2/2 with an empty asm barrier
//! between, foo starting from the argument count. Argument: messages in all
//! (sent in chunks of 1000).
use goc_bench_tokio as b;
use std::sync::atomic::{AtomicI32, AtomicI64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, Mutex};

const CALLS_PER_SCHED: i32 = 1000;

async fn run(n: i64, cap: usize, work: i32, seed: i64) {
    let procs = b::procs();
    let chunks = Arc::new(AtomicI32::new((n / CALLS_PER_SCHED as i64) as i32));
    let received = Arc::new(AtomicI64::new(0));
    let (myc_tx, myc_rx) = mpsc::channel::<i32>(cap.max(1));
    let myc_rx = Arc::new(Mutex::new(myc_rx));
    let (c_tx, mut c_rx) = mpsc::channel::<bool>(2 * procs);
    let t0 = b::now();
    for _ in 0..procs {
        let (chunks, myc, c) = (chunks.clone(), myc_tx.clone(), c_tx.clone());
        tokio::spawn(async move {
            let mut foo = seed;
            while chunks.fetch_sub(1, Ordering::SeqCst) - 1 >= 0 {
                for _ in 0..CALLS_PER_SCHED {
                    for _ in 0..work {
                        foo = foo.wrapping_mul(2);
                        b::opaque(&mut foo);
                        foo /= 2;
                    }
                    myc.send(1).await.expect("send");
                }
            }
            myc.send(0).await.expect("send");
            c.send(foo == 42).await.expect("send");
        });
        let (myc, c, received) = (myc_rx.clone(), c_tx.clone(), received.clone());
        tokio::spawn(async move {
            let mut foo = seed;
            let mut got = 0i64;
            loop {
                let v = myc.lock().await.recv().await.expect("recv");
                if v == 0 {
                    break;
                }
                got += 1;
                for _ in 0..work {
                    foo = foo.wrapping_mul(2);
                    b::opaque(&mut foo);
                    foo /= 2;
                }
            }
            received.fetch_add(got, Ordering::SeqCst);
            c.send(foo == 42).await.expect("send");
        });
    }
    for _ in 0..2 * procs {
        c_rx.recv().await.expect("recv");
    }
    let el = b::ns_since(t0);
    println!(
        "bench=prodcons{}_c{} time_ns={} result={}",
        if work != 0 { "_work" } else { "" },
        cap,
        el,
        received.load(Ordering::SeqCst)
    );
}

fn main() {
    let n = b::arg(500_000);
    let seed = std::env::args().count() as i64;
    b::run(async move {
        run(n, 0, 0, seed).await;
        run(n, 10, 0, seed).await;
        run(n, 100, 0, seed).await;
        run(n / 5, 0, 100, seed).await;
        run(n / 5, 10, 100, seed).await;
        run(n / 5, 100, 100, seed).await;
    });
}
