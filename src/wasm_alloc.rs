//! The WASM module's memory allocator: one free list per power-of-two size class.
//!
//! Why not the standard library's (dlmalloc on `wasm32-unknown-unknown`): it was ~8 KB of the
//! module's 250 KB size budget (twiggy, on a build with names), and a diagnosis makes a few
//! hundred small allocations whose `malloc`/`free` showed up in the profile of every call. The
//! module's allocations are short-lived and come in few sizes (one diagnosis at a time; a
//! report or a HAR file now and then), which is what size classes serve well: `alloc` and
//! `dealloc` are a list pop and push, with no header, no search and no coalescing.
//!
//! The price: a block is rounded up to a power of two (at most twice the request), and a
//! freed block stays in its class, except that a larger free block is split in halves when a
//! smaller class runs out. WASM memory never shrinks anyway, so what is retained is bounded
//! by the largest set of blocks alive at once, rounded up; reusing freed blocks keeps repeated
//! diagnoses at a constant footprint (tested below and by the WASM suites).
//!
//! The bookkeeping ([`Classes`]) does not depend on where memory comes from, so that its
//! tests run natively against an ordinary buffer; only [`Allocator`] is WASM-specific.

/// Smallest class: 2^3 = 8 bytes, room for the free-list link (a `usize`, 4 bytes in WASM).
const MIN_CLASS: u32 = 3;
/// Classes 2^0..2^48; the first three are unused (see `MIN_CLASS`).
const CLASSES: usize = 48;
/// Blocks are aligned to their size up to this; larger alignments are refused (nothing in
/// the engine asks for them), so that a 1 MB block does not need a 1 MB-aligned address.
pub const MAX_ALIGN: usize = 4096;

/// Free lists and the current region of fresh memory.
pub struct Classes {
    /// Address of the first free block of each class, 0 = none; each free block holds the
    /// address of the next.
    free: [usize; CLASSES],
    /// Next unused byte of the region and its end.
    top: usize,
    end: usize,
}

impl Classes {
    pub const fn new() -> Classes {
        Classes {
            free: [0; CLASSES],
            top: 0,
            end: 0,
        }
    }

    /// The class that serves `size` bytes aligned to `align` (a power of two), if any.
    fn class(size: usize, align: usize) -> Option<usize> {
        if align > MAX_ALIGN {
            return None;
        }
        let c = size
            .max(align)
            .max(1 << MIN_CLASS)
            .checked_next_power_of_two()?
            .trailing_zeros() as usize;
        (c < CLASSES).then_some(c)
    }

    /// # Safety
    /// Addresses in the free lists must be writable blocks of their class.
    unsafe fn pop(&mut self, c: usize) -> usize {
        let b = self.free[c];
        if b != 0 {
            self.free[c] = (b as *const usize).read();
        }
        b
    }

    /// # Safety
    /// `b` must be a block of class `c` that nothing else uses.
    unsafe fn push(&mut self, c: usize, b: usize) {
        (b as *mut usize).write(self.free[c]);
        self.free[c] = b;
    }

    /// A block for `size` bytes aligned to `align`, or null. `grow(bytes)` must return a new
    /// region `(start, end)` of at least `bytes` writable bytes, or `None`.
    ///
    /// # Safety
    /// Regions from `grow` must stay valid and unused by anything else.
    pub unsafe fn alloc(
        &mut self,
        size: usize,
        align: usize,
        grow: impl FnOnce(usize) -> Option<(usize, usize)>,
    ) -> *mut u8 {
        let Some(c) = Classes::class(size, align) else {
            return core::ptr::null_mut();
        };
        let b = self.pop(c);
        if b != 0 {
            return b as *mut u8;
        }
        // Split the smallest larger free block: keep its first part, file the upper halves
        // (2^(j-1), …, 2^c bytes) in their classes. Aligned blocks stay aligned: a half at
        // `b + 2^m` is aligned to min(2^m, MAX_ALIGN), which its class needs.
        if let Some(j) = (c + 1..CLASSES).find(|&j| self.free[j] != 0) {
            let b = self.pop(j);
            for m in c..j {
                self.push(m, b + (1 << m));
            }
            return b as *mut u8;
        }
        let size = 1usize << c;
        let align = size.min(MAX_ALIGN);
        let mut start = self.top.next_multiple_of(align);
        if start.checked_add(size).is_none_or(|e| e > self.end) {
            let Some((s, e)) = grow(size + align) else {
                return core::ptr::null_mut();
            };
            // WASM memory grows in place, so a new region usually continues the old one.
            if s != self.end {
                self.top = s;
            }
            self.end = e;
            start = self.top.next_multiple_of(align);
            if start + size > self.end {
                return core::ptr::null_mut();
            }
        }
        self.top = start + size;
        start as *mut u8
    }

    /// # Safety
    /// `ptr` must come from `alloc` with the same `size` and `align`, and not be used again.
    pub unsafe fn dealloc(&mut self, ptr: *mut u8, size: usize, align: usize) {
        if let Some(c) = Classes::class(size, align) {
            self.push(c, ptr as usize);
        }
    }

    /// Whether a block allocated for `old` bytes also holds `new` bytes (same class): then
    /// `realloc` keeps it.
    pub fn same_block(old: usize, new: usize, align: usize) -> bool {
        Classes::class(old, align) == Classes::class(new, align)
    }
}

#[cfg(target_arch = "wasm32")]
mod global {
    use super::Classes;
    use core::alloc::{GlobalAlloc, Layout};
    use core::cell::UnsafeCell;

    const PAGE: usize = 65536;

    pub struct Allocator(UnsafeCell<Classes>);

    // SAFETY: wasm32-unknown-unknown without the atomics feature has one thread; nothing can
    // reach the allocator concurrently.
    unsafe impl Sync for Allocator {}

    /// Grows the WASM memory by at least `bytes` (and at least 1 MB, so that memory.grow,
    /// which makes JS views of the memory stale, is rare).
    fn grow(bytes: usize) -> Option<(usize, usize)> {
        let pages = bytes.div_ceil(PAGE).max(16);
        let prev = core::arch::wasm32::memory_grow(0, pages);
        if prev == usize::MAX {
            return None;
        }
        // A memory of the full 4 GiB ends at 2^32, one past what a wasm32 usize holds.
        Some((prev.checked_mul(PAGE)?, (prev + pages).checked_mul(PAGE)?))
    }

    unsafe impl GlobalAlloc for Allocator {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            (*self.0.get()).alloc(l.size(), l.align(), grow)
        }

        unsafe fn dealloc(&self, ptr: *mut u8, l: Layout) {
            (*self.0.get()).dealloc(ptr, l.size(), l.align())
        }

        unsafe fn realloc(&self, ptr: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
            if Classes::same_block(l.size(), new_size, l.align()) {
                return ptr;
            }
            let new = self.alloc(Layout::from_size_align_unchecked(new_size, l.align()));
            if !new.is_null() {
                core::ptr::copy_nonoverlapping(ptr, new, l.size().min(new_size));
                self.dealloc(ptr, l);
            }
            new
        }
    }

    #[global_allocator]
    static ALLOCATOR: Allocator = Allocator(UnsafeCell::new(Classes::new()));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `grow` over one ordinary buffer, handed out in 64 KB steps like WASM pages.
    struct Arena {
        mem: Vec<u64>,
        used: usize,
    }

    impl Arena {
        fn new(bytes: usize) -> Arena {
            Arena {
                mem: vec![0; bytes / 8],
                used: 0,
            }
        }

        fn grow(&mut self, bytes: usize) -> Option<(usize, usize)> {
            let base = self.mem.as_mut_ptr() as usize;
            let n = bytes.div_ceil(65536) * 65536;
            (self.used + n <= self.mem.len() * 8).then(|| {
                let s = base + self.used;
                self.used += n;
                (s, s + n)
            })
        }
    }

    #[test]
    fn classes_round_up_to_powers_of_two_and_refuse_what_they_cannot_align() {
        assert_eq!(Classes::class(0, 1), Some(3));
        assert_eq!(Classes::class(8, 8), Some(3));
        assert_eq!(Classes::class(9, 1), Some(4));
        assert_eq!(Classes::class(3, 16), Some(4));
        assert_eq!(Classes::class(65536, 1), Some(16));
        assert_eq!(Classes::class(1, 8192), None);
        assert_eq!(Classes::class(usize::MAX, 1), None);
        assert!(Classes::same_block(100, 128, 1));
        assert!(!Classes::same_block(128, 129, 1));
    }

    #[test]
    fn random_allocations_never_overlap_stay_aligned_and_keep_their_bytes() {
        let mut arena = Arena::new(256 << 20);
        let mut heap = Classes::new();
        // (address, size, align, fill byte)
        let mut live: Vec<(usize, usize, usize, u8)> = Vec::new();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rnd = |k: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % k
        };
        for step in 0..20_000u32 {
            if live.is_empty() || rnd(2) == 0 {
                // Mostly small sizes, now and then a body-sized buffer.
                let size = match rnd(10) {
                    0 => rnd(300_000) as usize,
                    1..=3 => rnd(4096) as usize,
                    _ => rnd(100) as usize,
                };
                let align = 1usize << rnd(5);
                let p = unsafe { heap.alloc(size, align, |b| arena.grow(b)) } as usize;
                assert_ne!(p, 0, "out of memory at step {step}");
                assert_eq!(p % align, 0);
                let fill = step as u8;
                unsafe { core::ptr::write_bytes(p as *mut u8, fill, size) };
                live.push((p, size, align, fill));
            } else {
                let (p, size, align, fill) = live.swap_remove(rnd(live.len() as u64) as usize);
                let bytes = unsafe { core::slice::from_raw_parts(p as *const u8, size) };
                assert!(
                    bytes.iter().all(|&b| b == fill),
                    "block at {p:#x} was overwritten"
                );
                unsafe { heap.dealloc(p as *mut u8, size, align) };
            }
        }
        live.sort();
        for w in live.windows(2) {
            assert!(
                w[0].0 + w[0].1 <= w[1].0,
                "blocks overlap: {:?} {:?}",
                w[0],
                w[1]
            );
        }
    }

    #[test]
    fn freed_blocks_are_reused_so_a_repeated_workload_does_not_grow() {
        let mut arena = Arena::new(16 << 20);
        let mut heap = Classes::new();
        let round = |heap: &mut Classes, arena: &mut Arena| {
            let ps: Vec<(usize, usize)> = [10usize, 200, 5000, 70_000, 33, 33]
                .iter()
                .map(|&s| (unsafe { heap.alloc(s, 8, |b| arena.grow(b)) } as usize, s))
                .collect();
            for (p, s) in ps {
                unsafe { heap.dealloc(p as *mut u8, s, 8) };
            }
        };
        round(&mut heap, &mut arena);
        let used = arena.used;
        for _ in 0..100 {
            round(&mut heap, &mut arena);
        }
        assert_eq!(arena.used, used);
    }

    #[test]
    fn a_class_that_runs_out_splits_a_larger_free_block_instead_of_growing() {
        let mut arena = Arena::new(1 << 20);
        let mut heap = Classes::new();
        let p = unsafe { heap.alloc(100_000, 8, |b| arena.grow(b)) } as usize;
        unsafe { heap.dealloc(p as *mut u8, 100_000, 8) };
        let used = arena.used;
        let q = unsafe { heap.alloc(16, 16, |b| arena.grow(b)) } as usize;
        let r = unsafe { heap.alloc(16, 16, |b| arena.grow(b)) } as usize;
        let big = unsafe { heap.alloc(65_536, 8, |b| arena.grow(b)) } as usize;
        assert_eq!((q, r, big, arena.used), (p, p + 16, p + 65_536, used));
    }
}
