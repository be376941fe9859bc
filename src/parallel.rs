//! Spreading work over the machine's cores: loading and indexing large
//! knowledge splits its items into one chunk per core, in order, so results
//! come back in the same order whatever the number of cores.

/// How many threads work on a large job (the cores, at most 8).
pub(crate) fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8)
}

/// `f` applied to consecutive chunks of `items`, one chunk per thread; the
/// results in chunk order.
pub(crate) fn map_chunks<T: Sync, R: Send>(items: &[T], f: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    let chunk = items.len().div_ceil(threads()).max(1);
    std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = items.chunks(chunk).map(|part| s.spawn(move || f(part))).collect();
        handles.into_iter().map(|h| h.join().expect("a worker thread panicked")).collect()
    })
}
