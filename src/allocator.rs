//! The process's memory allocator: mimalloc, asked for memory through its
//! plain `malloc` entry points whenever the alignment is one `malloc`
//! always gives, and through its aligned ones otherwise.
//!
//! The `mimalloc` crate's allocator asks for every block through
//! `mi_malloc_aligned`, whose checks cost more instructions per allocation
//! than `mi_malloc` (callgrind, payment execution: 41 against 35, this
//! function included), and which serves blocks over 1 KiB by
//! over-allocating and aligning by hand (about 157 instructions each);
//! together 2,100 instructions of an execution's 46,300. Like the C `malloc` it replaces, `mi_malloc` returns
//! memory aligned for `max_align_t` (16 bytes on 64-bit targets) for any
//! size of at least that alignment; the standard library's `System`
//! allocator relies on the same guarantee with the same test.
//!
//! A block of at most [`SMALL_SIZE_MAX`] bytes is asked for through
//! `mi_malloc_small`, mimalloc's entry point for small sizes: the same
//! free-list pop with the size test and a call less (callgrind, payment
//! execution: about 8 instructions an allocation fewer than `mi_malloc`).
//! Any block, small or not, is freed by `mi_free`.
//!
//! This is the crate's one module with `unsafe` code: implementing
//! [`GlobalAlloc`] is unsafe by definition. Each function forwards to the
//! mimalloc function of the same contract.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// The alignment `malloc` gives every block at least this large: that of
/// `max_align_t` (16 bytes on 64-bit targets, 8 on 32-bit ones).
const MALLOC_ALIGN: usize = if cfg!(target_pointer_width = "64") {
    16
} else {
    8
};

/// The largest size `mi_malloc_small` serves: mimalloc's
/// `MI_SMALL_SIZE_MAX`, 128 machine words (1 KiB on 64-bit targets).
const SMALL_SIZE_MAX: usize = 128 * std::mem::size_of::<*mut c_void>();

// `mi_malloc_small` is compiled into every build of the mimalloc C library
// (`src/alloc.c`); `libmimalloc-sys` declares it only under its `extended`
// feature, whose extra dependency we do not need for one declaration.
extern "C" {
    /// `void* mi_malloc_small(size_t size)`: a block of `size` bytes, at most
    /// `MI_SMALL_SIZE_MAX`, aligned as `malloc`'s; null when out of memory.
    fn mi_malloc_small(size: usize) -> *mut c_void;
}

/// mimalloc as the global allocator of a binary:
/// `#[global_allocator] static GLOBAL: Allocator = Allocator;`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Allocator;

/// Whether a block of `size` bytes from plain `malloc` is aligned to `align`.
#[inline]
fn malloc_aligns(size: usize, align: usize) -> bool {
    align <= MALLOC_ALIGN && align <= size
}

// SAFETY: every function returns what the mimalloc function it calls
// returns: a block of at least `layout.size()` bytes aligned to
// `layout.align()` (plain `malloc`, or `mi_malloc_small` within its size,
// only where `malloc_aligns` says their alignment suffices), or null when out of memory; `mi_free` and the
// reallocation functions accept any block mimalloc handed out, by either
// entry point.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if malloc_aligns(layout.size(), layout.align()) {
            if layout.size() <= SMALL_SIZE_MAX {
                mi_malloc_small(layout.size()).cast()
            } else {
                mi::mi_malloc(layout.size()).cast()
            }
        } else {
            mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if malloc_aligns(layout.size(), layout.align()) {
            mi::mi_zalloc(layout.size()).cast()
        } else {
            mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        mi::mi_free(ptr.cast::<c_void>());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if malloc_aligns(new_size, layout.align()) {
            mi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
        } else {
            mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every alignment and size the runtime asks for comes back aligned,
    /// writable, and survives growing and shrinking.
    #[test]
    fn blocks_are_aligned_for_their_layout() {
        let a = Allocator;
        for align in [1usize, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1usize, 7, 8, 15, 16, 24, 48, 100, 1024, 1500, 5000, 1 << 20] {
                let Ok(layout) = Layout::from_size_align(size.max(align), align) else {
                    continue;
                };
                // SAFETY: a non-zero-sized layout; the block is written within
                // its size and freed with the layout it was allocated with.
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "{layout:?}");
                    p.write_bytes(0xAB, layout.size());
                    let z = a.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "{layout:?}");
                    assert!((0..layout.size()).all(|i| *z.add(i) == 0));
                    a.dealloc(z, layout);
                    let grown = a.realloc(p, layout, layout.size() * 3);
                    assert_eq!(grown as usize % align, 0, "{layout:?}");
                    assert_eq!(*grown, 0xAB);
                    assert_eq!(*grown.add(layout.size() - 1), 0xAB);
                    let bigger = Layout::from_size_align(layout.size() * 3, align).unwrap();
                    let shrunk = a.realloc(grown, bigger, layout.size());
                    assert_eq!(shrunk as usize % align, 0, "{layout:?}");
                    assert_eq!(*shrunk, 0xAB);
                    a.dealloc(shrunk, layout);
                }
            }
        }
    }
}
