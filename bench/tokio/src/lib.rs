//! Shared by the tokio twins: the runtime, the argument, the clock.
use std::future::Future;
use std::time::Instant;

/// Worker threads: GOMAXPROCS (bench/run.sh sets it to the row's P), else
/// the number of CPUs.
pub fn procs() -> usize {
    std::env::var("GOMAXPROCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&p: &usize| p > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}

/// The first argument as a number, else `default`.
pub fn arg(default: i64) -> i64 {
    std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(default)
}

/// Runs `body` as a task on a multi-threaded runtime of procs() workers (as
/// Go's main goroutine runs on a P, not on a thread of its own) and waits
/// for it.
pub fn run<F>(body: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(procs())
        .build()
        .expect("tokio runtime");
    rt.block_on(async move { tokio::spawn(body).await.expect("main task") });
}

pub fn now() -> Instant {
    Instant::now()
}

pub fn ns_since(t: Instant) -> u128 {
    t.elapsed().as_nanos()
}

/// Peak resident set of the process in kB (VmHWM, what getrusage's
/// ru_maxrss reports).
pub fn maxrss_kb() -> i64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    for line in s.lines() {
        if let Some(v) = line.strip_prefix("VmHWM:") {
            return v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0);
        }
    }
    0
}

/// An empty asm barrier: the compiler must assume it changed x (goc's
/// OPAQUE, so foo*2/2 is not folded).
#[inline(always)]
pub fn opaque(x: &mut i64) {
    unsafe { std::arch::asm!("/* {0} */", inout(reg) *x, options(nomem, nostack, preserves_flags)) }
}
