//! skynet: a tree of N leaf tasks (fan-out 10), each level summing its
//! children's results through a bounded mpsc channel of capacity 10 (goc and
//! Go: a buffered channel of capacity 10). Argument: N (a power of 10).
use goc_bench_tokio as b;
use tokio::sync::mpsc;

fn skynet(c: mpsc::Sender<i64>, num: i64, size: i64, div: i64) {
    tokio::spawn(async move {
        if size == 1 {
            let _ = c.send(num).await;
            return;
        }
        let (tx, mut rx) = mpsc::channel::<i64>(div as usize);
        let sub = size / div;
        for i in 0..div {
            skynet(tx.clone(), num + i * sub, sub, div);
        }
        drop(tx);
        let mut sum = 0;
        for _ in 0..div {
            sum += rx.recv().await.expect("skynet child");
        }
        let _ = c.send(sum).await;
    });
}

fn main() {
    let n = b::arg(1_000_000);
    b::run(async move {
        let (tx, mut rx) = mpsc::channel::<i64>(1);
        let t0 = b::now();
        skynet(tx, 0, n, 10);
        let r = rx.recv().await.expect("skynet root");
        println!("bench=skynet time_ns={} result={}", b::ns_since(t0), r);
        if r != n * (n - 1) / 2 {
            eprintln!("skynet: wrong sum {}", r);
            std::process::exit(1);
        }
    });
}
