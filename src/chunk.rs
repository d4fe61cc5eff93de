//! Sixteen bytes at a time, for the two loops that look at every byte of a page: the
//! normaliser's runs of plain text and the scan's search for word starts.
//!
//! Byte by byte those loops cost 5 to 10 instructions per byte (callgrind), and on the 64 KB
//! pages that set `make bench`'s p99 they were a third to a half of the engine's time. A
//! [`Chunk`] classifies 16 bytes in a dozen vector instructions and answers with a 16-bit
//! mask (bit j = byte j), which the loops walk with `trailing_zeros`.
//!
//! Three implementations with the same behaviour:
//! * WebAssembly SIMD (`simd128`): the extension's engine. `.cargo/config.toml` enables the
//!   feature for every wasm32 build. Every browser the manifest admits has it (Chrome 91+,
//!   Firefox 89+; the manifest asks for Chrome 116 and Firefox 128).
//! * SSE2 on x86_64, where it is always present: the CLI, the native tests and `make bench`.
//! * Plain Rust for any other target; the tests check it beside the target's own.
//!
//! Each class is defined once, in the generic functions `word`, `plain` and
//! `to_ascii_lowercase`, over a handful of lane operations (the `Lanes` trait: `sub`, `lt`,
//! `eq`, `or`, …); only those operations differ between implementations.

#[cfg(not(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
)))]
use scalar as imp;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
use simd128 as imp;
#[cfg(target_arch = "x86_64")]
use sse2 as imp;

/// Bytes per chunk.
pub const LEN: usize = 16;

/// Sixteen bytes in a vector register.
#[derive(Clone, Copy)]
pub struct Chunk(imp::V);

impl Chunk {
    /// The 16 bytes at `s[at..]`. Panics when fewer remain (callers check first).
    #[inline(always)]
    pub fn load(s: &[u8], at: usize) -> Chunk {
        let bytes: &[u8; LEN] = s[at..at + LEN].try_into().unwrap();
        Chunk(imp::V::load(bytes))
    }

    /// Writes the 16 bytes to `d[at..at + 16]`. Panics when `d` is shorter.
    #[inline(always)]
    pub fn store(self, d: &mut [u8], at: usize) {
        let bytes: &mut [u8; LEN] = (&mut d[at..at + LEN]).try_into().unwrap();
        self.0.store(bytes)
    }

    /// Bytes equal to `b`.
    #[inline(always)]
    pub fn eq(self, b: u8) -> u16 {
        self.0.eq(imp::V::splat(b)).mask()
    }

    /// Word bytes, as the scan defines them (`scan::is_word`): ASCII letters and digits, `_`,
    /// and every byte of a non-ASCII character.
    #[inline(always)]
    pub fn word(self) -> u16 {
        word(self.0)
    }

    /// Plain bytes, as the normaliser defines them (`normalize::PLAIN_LOWER`): printable ASCII
    /// other than space, `<` and `&`.
    #[inline(always)]
    pub fn plain(self) -> u16 {
        plain(self.0)
    }

    /// ASCII upper-case letters lower-cased; every other byte unchanged.
    #[inline(always)]
    pub fn to_ascii_lowercase(self) -> Chunk {
        Chunk(to_ascii_lowercase(self.0))
    }
}

/// The lane operations an implementation provides. Lanes are unsigned bytes; a comparison
/// gives all ones for true and zero for false, and `mask` collects the top bit of each lane.
trait Lanes: Copy {
    fn load(s: &[u8; LEN]) -> Self;
    fn store(self, d: &mut [u8; LEN]);
    fn splat(b: u8) -> Self;
    fn eq(self, o: Self) -> Self;
    /// Unsigned `self < o`.
    fn lt(self, o: Self) -> Self;
    /// Wrapping.
    fn sub(self, o: Self) -> Self;
    fn or(self, o: Self) -> Self;
    fn and(self, o: Self) -> Self;
    /// `self & !o`.
    fn and_not(self, o: Self) -> Self;
    fn mask(self) -> u16;
}

/// `lo <= v < lo + len`, unsigned, as one subtraction and one comparison.
#[inline(always)]
fn in_range<V: Lanes>(v: V, lo: u8, len: u8) -> V {
    v.sub(V::splat(lo)).lt(V::splat(len))
}

#[inline(always)]
fn word<V: Lanes>(v: V) -> u16 {
    // `| 0x20` folds A-Z onto a-z and moves no other byte into a-z.
    let letter = in_range(v.or(V::splat(0x20)), b'a', 26);
    let digit = in_range(v, b'0', 10);
    let under = v.eq(V::splat(b'_'));
    let non_ascii = V::splat(0x7f).lt(v);
    letter.or(digit).or(under.or(non_ascii)).mask()
}

#[inline(always)]
fn plain<V: Lanes>(v: V) -> u16 {
    let printable = in_range(v, 0x21, 0x7f - 0x21);
    let special = v.eq(V::splat(b'<')).or(v.eq(V::splat(b'&')));
    printable.and_not(special).mask()
}

#[inline(always)]
fn to_ascii_lowercase<V: Lanes>(v: V) -> V {
    v.or(in_range(v, b'A', 26).and(V::splat(0x20)))
}

/// WebAssembly SIMD.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use super::{Lanes, LEN};
    use core::arch::wasm32::*;

    pub type V = v128;

    impl Lanes for v128 {
        #[inline(always)]
        fn load(s: &[u8; LEN]) -> v128 {
            // SAFETY: `s` is 16 readable bytes; the load has no alignment requirement.
            unsafe { v128_load(s.as_ptr().cast()) }
        }
        #[inline(always)]
        fn store(self, d: &mut [u8; LEN]) {
            // SAFETY: `d` is 16 writable bytes; the store has no alignment requirement.
            unsafe { v128_store(d.as_mut_ptr().cast(), self) }
        }
        #[inline(always)]
        fn splat(b: u8) -> v128 {
            u8x16_splat(b)
        }
        #[inline(always)]
        fn eq(self, o: v128) -> v128 {
            u8x16_eq(self, o)
        }
        #[inline(always)]
        fn lt(self, o: v128) -> v128 {
            u8x16_lt(self, o)
        }
        #[inline(always)]
        fn sub(self, o: v128) -> v128 {
            u8x16_sub(self, o)
        }
        #[inline(always)]
        fn or(self, o: v128) -> v128 {
            v128_or(self, o)
        }
        #[inline(always)]
        fn and(self, o: v128) -> v128 {
            v128_and(self, o)
        }
        #[inline(always)]
        fn and_not(self, o: v128) -> v128 {
            v128_andnot(self, o)
        }
        #[inline(always)]
        fn mask(self) -> u16 {
            u8x16_bitmask(self)
        }
    }
}

/// SSE2, which every x86_64 processor has. The intrinsics are `unsafe` up to Rust 1.86 (this
/// crate builds from 1.85) and safe from 1.87 when, as here, the feature is always on: hence
/// `unused_unsafe`.
#[cfg(target_arch = "x86_64")]
#[allow(unused_unsafe)]
mod sse2 {
    use super::{Lanes, LEN};
    use core::arch::x86_64::*;

    pub type V = __m128i;

    impl Lanes for __m128i {
        #[inline(always)]
        fn load(s: &[u8; LEN]) -> __m128i {
            // SAFETY: `s` is 16 readable bytes; `loadu` has no alignment requirement.
            unsafe { _mm_loadu_si128(s.as_ptr().cast()) }
        }
        #[inline(always)]
        fn store(self, d: &mut [u8; LEN]) {
            // SAFETY: `d` is 16 writable bytes; `storeu` has no alignment requirement.
            unsafe { _mm_storeu_si128(d.as_mut_ptr().cast(), self) }
        }
        #[inline(always)]
        fn splat(b: u8) -> __m128i {
            // SAFETY (here and below): SSE2 is part of x86_64.
            unsafe { _mm_set1_epi8(b as i8) }
        }
        #[inline(always)]
        fn eq(self, o: __m128i) -> __m128i {
            unsafe { _mm_cmpeq_epi8(self, o) }
        }
        /// SSE2 compares bytes signed only: flipping the top bit of both sides makes the
        /// signed order the unsigned one.
        #[inline(always)]
        fn lt(self, o: __m128i) -> __m128i {
            unsafe {
                let top = _mm_set1_epi8(i8::MIN);
                _mm_cmplt_epi8(_mm_xor_si128(self, top), _mm_xor_si128(o, top))
            }
        }
        #[inline(always)]
        fn sub(self, o: __m128i) -> __m128i {
            unsafe { _mm_sub_epi8(self, o) }
        }
        #[inline(always)]
        fn or(self, o: __m128i) -> __m128i {
            unsafe { _mm_or_si128(self, o) }
        }
        #[inline(always)]
        fn and(self, o: __m128i) -> __m128i {
            unsafe { _mm_and_si128(self, o) }
        }
        /// `_mm_andnot_si128(a, b)` is `!a & b`.
        #[inline(always)]
        fn and_not(self, o: __m128i) -> __m128i {
            unsafe { _mm_andnot_si128(o, self) }
        }
        #[inline(always)]
        fn mask(self) -> u16 {
            unsafe { _mm_movemask_epi8(self) as u16 }
        }
    }
}

/// Plain Rust, lane by lane: other targets, and the tests' second implementation.
#[cfg_attr(
    any(
        target_arch = "x86_64",
        all(target_arch = "wasm32", target_feature = "simd128")
    ),
    allow(dead_code)
)]
mod scalar {
    use super::{Lanes, LEN};

    #[derive(Clone, Copy, PartialEq, Debug)]
    pub struct V(pub [u8; LEN]);

    impl V {
        fn zip(self, o: V, f: impl Fn(u8, u8) -> u8) -> V {
            V(std::array::from_fn(|j| f(self.0[j], o.0[j])))
        }
    }

    fn all_ones(t: bool) -> u8 {
        if t {
            0xff
        } else {
            0
        }
    }

    impl Lanes for V {
        fn load(s: &[u8; LEN]) -> V {
            V(*s)
        }
        fn store(self, d: &mut [u8; LEN]) {
            *d = self.0;
        }
        fn splat(b: u8) -> V {
            V([b; LEN])
        }
        fn eq(self, o: V) -> V {
            self.zip(o, |x, y| all_ones(x == y))
        }
        fn lt(self, o: V) -> V {
            self.zip(o, |x, y| all_ones(x < y))
        }
        fn sub(self, o: V) -> V {
            self.zip(o, u8::wrapping_sub)
        }
        fn or(self, o: V) -> V {
            self.zip(o, |x, y| x | y)
        }
        fn and(self, o: V) -> V {
            self.zip(o, |x, y| x & y)
        }
        fn and_not(self, o: V) -> V {
            self.zip(o, |x, y| x & !y)
        }
        fn mask(self) -> u16 {
            (0..LEN).fold(0, |m, j| m | (u16::from(self.0[j] >> 7) << j))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chunks that put every byte value in every lane, and random ones.
    fn chunks() -> Vec<[u8; LEN]> {
        let mut out = Vec::new();
        for shift in 0..LEN {
            for base in (0..256).step_by(LEN) {
                out.push(std::array::from_fn(|j| (base + (j + shift) % LEN) as u8));
            }
        }
        let mut rng = crate::testutil::Rng::new(0x9e37_79b9_7f4a_7c15);
        for _ in 0..2000 {
            out.push(std::array::from_fn(|_| rng.next_u64() as u8));
        }
        out
    }

    fn bits(c: &[u8; LEN], f: impl Fn(u8) -> bool) -> u16 {
        (0..LEN).fold(0, |m, j| m | (u16::from(f(c[j])) << j))
    }

    /// Every implementation compiled here (the target's own and the lane-by-lane one) against
    /// the byte tables the loops used before.
    fn check<V: Lanes>(c: &[u8; LEN]) {
        let v = V::load(c);
        assert_eq!(word(v), bits(c, crate::scan::is_word), "word {c:?}");
        assert_eq!(plain(v), bits(c, crate::normalize::is_plain), "plain {c:?}");
        assert_eq!(
            v.eq(V::splat(b' ')).mask(),
            bits(c, |b| b == b' '),
            "eq {c:?}"
        );
        let mut low = [0u8; LEN];
        to_ascii_lowercase(v).store(&mut low);
        assert_eq!(low, c.map(|b| b.to_ascii_lowercase()), "lower {c:?}");
    }

    #[test]
    fn classes_match_their_byte_tables() {
        for c in chunks() {
            check::<imp::V>(&c);
            check::<scalar::V>(&c);
        }
    }

    #[test]
    fn load_and_store_take_any_offset() {
        let src: Vec<u8> = (0..40).collect();
        let mut dst = vec![0u8; 40];
        Chunk::load(&src, 7).store(&mut dst, 3);
        assert_eq!(&dst[3..19], &src[7..23]);
        assert!(dst[..3].iter().chain(&dst[19..]).all(|&b| b == 0));
    }
}
