//! Frame timing shared by the TUI benchmarks: draw many frames, print the
//! distribution, and check the median against the budget.

use std::time::{Duration, Instant};

/// Times `frames` calls of `draw`, prints mean, median, p99 and max under
/// `name`, and fails when the median is over `budget`.
pub fn measure(name: &str, frames: usize, budget: Duration, mut draw: impl FnMut()) {
    let mut times: Vec<Duration> = (0..frames)
        .map(|_| {
            let start = Instant::now();
            draw();
            start.elapsed()
        })
        .collect();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    let median = times[times.len() / 2];
    println!(
        "{name}: mean {:.3} ms, median {:.3} ms, p99 {:.3} ms, max {:.3} ms over {} frames",
        ms(mean),
        ms(median),
        ms(times[times.len() * 99 / 100]),
        ms(*times.last().expect("at least one frame")),
        times.len()
    );
    assert!(median < budget, "{name}: a frame must render in under {budget:?}");
}
