//! Loading a big workflow file holds at most a few times the file in memory: each node is
//! made as soon as its entry is read, and a node keeps its configuration as compact text.
//! Counted by the allocator (live bytes), so the figure does not depend on the machine.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use nadoo_flow_core::Workflow;

/// The system allocator, counting the bytes live now and the most ever live.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

#[allow(unsafe_code, reason = "a global allocator forwards to the system's")]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The benchmarks' big files.
#[path = "../benches/support/toml_files.rs"]
#[allow(dead_code, reason = "only the `set` chain is loaded here")]
mod toml_files;

#[test]
fn loading_a_big_file_holds_a_few_times_the_file() {
    let text = toml_files::set_chain(5_000);
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let workflow = Workflow::from_toml("chain.toml", &text).expect("a valid file");
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let kept = LIVE.load(Ordering::Relaxed) - before;
    assert_eq!(workflow.nodes().len(), 5_002);
    let ratio = |bytes: usize| bytes as f64 / text.len() as f64;
    // When every entry was read before any node was made, with configurations kept as
    // values, the peak was 30× the file. Now: ~5.5× at the peak, ~4× kept.
    assert!(
        ratio(peak) <= 7.0,
        "loading peaked at {peak} bytes, {:.1}× the {}-byte file",
        ratio(peak),
        text.len()
    );
    assert!(
        ratio(kept) <= 5.0,
        "the workflow holds {kept} bytes, {:.1}× the file",
        ratio(kept)
    );
}
