//! Allocator settings for a run: called once at the start of `main` (and of
//! the benchmarks, so they measure what users run).

/// glibc's malloc returns every freed block above its mmap threshold to the
/// kernel, and the next allocation of that size faults fresh zeroed pages
/// in again: polars' per-batch column buffers (megabytes each) and the
/// per-file event columns did that thousands of times a run, about a third
/// of ingest's time in the kernel. Keeping blocks up to 32 MB on the heap,
/// and up to 512 MB of freed heap before trimming it, measured 0.5 s (12%)
/// faster at 11.7 M events for about 100 MB more peak memory.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn tune() {
    const M_TRIM_THRESHOLD: std::os::raw::c_int = -1;
    const M_MMAP_THRESHOLD: std::os::raw::c_int = -3;
    extern "C" {
        fn mallopt(param: std::os::raw::c_int, value: std::os::raw::c_int) -> std::os::raw::c_int;
    }
    // SAFETY: mallopt only sets allocator parameters; it is called once,
    // before any other thread exists. A refused value (return 0) leaves
    // glibc's default, which is only slower.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, 512 << 20);
    }
}

/// Other allocators keep their defaults.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune() {}

/// Returns the free pages of glibc's heaps to the kernel. Freed blocks
/// under the mmap threshold stay in their arena for reuse (see [`tune`]);
/// when a large structure was just freed in many such blocks and nothing
/// of that size follows (the parts of the access log once sorted into one
/// set of columns), they would count in the peak twice over.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_free() {
    extern "C" {
        fn malloc_trim(pad: usize) -> std::os::raw::c_int;
    }
    // SAFETY: malloc_trim only returns free memory to the kernel; it takes
    // the arenas' locks itself and is safe to call from any thread.
    unsafe {
        malloc_trim(0);
    }
}

/// Other allocators return memory their own way.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free() {}
