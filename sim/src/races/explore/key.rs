//! A state's key in the visited set: the bytes of everything
//! `State::hash_future` feeds a hasher, so two keys are equal exactly when
//! the two states' futures are (no hash collision can merge two states).

use std::hash::{BuildHasher, Hasher};

/// A `Hasher` that keeps what it is fed. Each integer is written as a
/// LEB128 varint, which delimits itself; with `Hash` implementations that feed
/// prefix-free data (the standard library's and derived ones do: lengths
/// before elements, a discriminant before a variant's fields), the bytes are
/// an injective encoding of the value.
#[derive(Default)]
pub(super) struct KeyWriter {
    pub(super) bytes: Vec<u8>,
}

impl KeyWriter {
    fn varint(&mut self, mut n: u128) {
        loop {
            let low = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.bytes.push(low);
                return;
            }
            self.bytes.push(low | 0x80);
        }
    }
}

impl Hasher for KeyWriter {
    fn finish(&self) -> u64 {
        // Never used as a hash: the bytes are the key.
        self.bytes.len() as u64
    }
    fn write(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }
    fn write_u8(&mut self, n: u8) {
        self.bytes.push(n);
    }
    fn write_u16(&mut self, n: u16) {
        self.varint(n.into());
    }
    fn write_u32(&mut self, n: u32) {
        self.varint(n.into());
    }
    fn write_u64(&mut self, n: u64) {
        self.varint(n.into());
    }
    fn write_u128(&mut self, n: u128) {
        self.varint(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.varint(n as u128);
    }
    fn write_i8(&mut self, n: i8) {
        self.bytes.push(n as u8);
    }
    fn write_i16(&mut self, n: i16) {
        self.write_i128(n.into());
    }
    fn write_i32(&mut self, n: i32) {
        self.write_i128(n.into());
    }
    fn write_i64(&mut self, n: i64) {
        self.write_i128(n.into());
    }
    fn write_i128(&mut self, n: i128) {
        // Zigzag: small magnitudes of either sign stay short.
        self.varint(((n << 1) ^ (n >> 127)) as u128);
    }
    fn write_isize(&mut self, n: isize) {
        self.write_i128(n as i128);
    }
}

/// A fast hash for the visited map's byte keys (FNV-1a would be slower on
/// keys of a hundred bytes; SipHash's flooding defence is not needed for keys
/// the engine makes itself).
#[derive(Clone, Copy, Default)]
pub(super) struct FastBuild;

pub(super) struct FastHasher(u64);

impl BuildHasher for FastBuild {
    type Hasher = FastHasher;
    fn build_hasher(&self) -> FastHasher {
        FastHasher(0x9e37_79b9_7f4a_7c15)
    }
}

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.mix(u64::from_le_bytes(w));
        }
        let mut w = [0u8; 8];
        let rest = chunks.remainder();
        w[..rest.len()].copy_from_slice(rest);
        self.mix(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
    }
}

impl FastHasher {
    fn mix(&mut self, w: u64) {
        self.0 = (self.0 ^ w).rotate_left(29).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    }
}
