//! Go's gzip output, byte for byte: `base64gzip` must give Terraform's bytes, and Terraform
//! compresses with Go's `compress/flate` at the default level (lazy matching on 4-byte hash
//! chains, then per block the smallest of fixed Huffman, dynamic Huffman and stored). Any
//! other deflate implementation decodes to the same text but encodes to other bytes.
//!
//! `mod.rs` is Go's compressor (deflate.go): the LZ77 search that turns input into literal
//! and match tokens and decides where blocks end; `block.rs` writes a block of tokens as Go's
//! huffman_bit_writer.go and huffman_code.go do.

mod block;

use block::{BitWriter, Token};

const WINDOW_SIZE: usize = 1 << 15;
const WINDOW_MASK: usize = WINDOW_SIZE - 1;
const BASE_MATCH_LENGTH: usize = 3;
const MIN_MATCH_LENGTH: usize = 4;
const MAX_MATCH_LENGTH: usize = 258;
const MAX_FLATE_BLOCK_TOKENS: usize = 1 << 14;
const HASH_BITS: u32 = 17;
const HASH_SIZE: usize = 1 << HASH_BITS;
const HASH_MASK: u32 = (1 << HASH_BITS) - 1;
const MAX_HASH_OFFSET: usize = 1 << 24;
const HASH_MUL: u32 = 0x1e35a7bd;

// Level 6 (Go's DefaultCompression): good, lazy, nice, chain.
const GOOD: usize = 8;
const LAZY: usize = 16;
const NICE: usize = 128;
const CHAIN: usize = 128;

/// gzip of `data` as Go's `gzip.Writer` writes it after Write, Flush and Close (what
/// Terraform's base64gzip does): no name, no time, OS byte 255.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    let mut d = Compressor::new();
    d.write(data);
    d.sync_flush();
    d.close();
    out.extend_from_slice(&d.w.out);
    out.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn hash4(b: &[u8]) -> u32 {
    let v = u32::from(b[3]) | u32::from(b[2]) << 8 | u32::from(b[1]) << 16 | u32::from(b[0]) << 24;
    v.wrapping_mul(HASH_MUL) >> (32 - HASH_BITS)
}

struct Compressor {
    w: BitWriter,
    sync: bool,
    chain_head: isize,
    hash_head: Vec<u32>,
    hash_prev: Vec<u32>,
    hash_offset: usize,
    index: usize,
    window: Vec<u8>,
    window_end: usize,
    /// `None` once the block's start has been shifted out of the window.
    block_start: Option<usize>,
    byte_available: bool,
    tokens: Vec<Token>,
    length: usize,
    offset: usize,
    max_insert_index: isize,
}

impl Compressor {
    fn new() -> Self {
        Compressor {
            w: BitWriter::default(),
            sync: false,
            chain_head: -1,
            hash_head: vec![0; HASH_SIZE],
            hash_prev: vec![0; WINDOW_SIZE],
            hash_offset: 1,
            index: 0,
            window: vec![0; 2 * WINDOW_SIZE],
            window_end: 0,
            block_start: Some(0),
            byte_available: false,
            tokens: Vec::with_capacity(MAX_FLATE_BLOCK_TOKENS + 1),
            length: MIN_MATCH_LENGTH - 1,
            offset: 0,
            max_insert_index: 0,
        }
    }

    fn write(&mut self, mut b: &[u8]) {
        while !b.is_empty() {
            self.deflate();
            let n = self.fill(b);
            b = &b[n..];
        }
    }

    fn sync_flush(&mut self) {
        self.sync = true;
        self.deflate();
        self.w.write_stored_header(0, false);
        self.w.align();
        self.sync = false;
    }

    fn close(&mut self) {
        self.sync = true;
        self.deflate();
        self.w.write_stored_header(0, true);
        self.w.align();
    }

    fn fill(&mut self, b: &[u8]) -> usize {
        if self.index >= 2 * WINDOW_SIZE - (MIN_MATCH_LENGTH + MAX_MATCH_LENGTH) {
            self.window.copy_within(WINDOW_SIZE..2 * WINDOW_SIZE, 0);
            self.index -= WINDOW_SIZE;
            self.window_end -= WINDOW_SIZE;
            self.block_start = self
                .block_start
                .filter(|&s| s >= WINDOW_SIZE)
                .map(|s| s - WINDOW_SIZE);
            self.hash_offset += WINDOW_SIZE;
            if self.hash_offset > MAX_HASH_OFFSET {
                let delta = self.hash_offset - 1;
                self.hash_offset -= delta;
                self.chain_head -= delta as isize;
                for v in self.hash_prev.iter_mut().chain(self.hash_head.iter_mut()) {
                    *v = if *v as usize > delta {
                        (*v as usize - delta) as u32
                    } else {
                        0
                    };
                }
            }
        }
        let n = b.len().min(self.window.len() - self.window_end);
        self.window[self.window_end..self.window_end + n].copy_from_slice(&b[..n]);
        self.window_end += n;
        n
    }

    fn write_block(&mut self, index: usize) {
        if index > 0 {
            let input = match self.block_start {
                Some(s) if s <= index => Some(&self.window[s..index]),
                _ => None,
            };
            self.w.write_block(&self.tokens, false, input);
            self.block_start = Some(index);
        }
        self.tokens.clear();
    }

    fn insert_hash(&mut self, at: usize) {
        let h = hash4(&self.window[at..at + MIN_MATCH_LENGTH]) & HASH_MASK;
        let head = &mut self.hash_head[h as usize];
        self.hash_prev[at & WINDOW_MASK] = *head;
        *head = (at + self.hash_offset) as u32;
    }

    fn find_match(
        &self,
        pos: usize,
        prev_head: isize,
        prev_length: usize,
        lookahead: usize,
    ) -> Option<(usize, usize)> {
        let min_match_look = MAX_MATCH_LENGTH.min(lookahead);
        let win = &self.window[..pos + min_match_look];
        let nice = NICE.min(win.len() - pos);
        let mut tries = CHAIN;
        let mut length = prev_length;
        if length >= GOOD {
            tries >>= 2;
        }
        let mut w_end = win[pos + length];
        let w_pos = &win[pos..];
        let min_index = pos as isize - WINDOW_SIZE as isize;
        let mut found = None;
        let mut i = prev_head;
        while tries > 0 {
            let iu = i as usize;
            if w_end == win[iu + length] {
                let n = win[iu..]
                    .iter()
                    .zip(w_pos)
                    .take(min_match_look)
                    .take_while(|(a, b)| a == b)
                    .count();
                if n > length && (n > MIN_MATCH_LENGTH || pos - iu <= 4096) {
                    length = n;
                    found = Some((n, pos - iu));
                    if n >= nice {
                        break;
                    }
                    w_end = win[pos + n];
                }
            }
            if i == min_index {
                break;
            }
            i = self.hash_prev[iu & WINDOW_MASK] as isize - self.hash_offset as isize;
            if i < min_index || i < 0 {
                break;
            }
            tries -= 1;
        }
        found
    }

    fn deflate(&mut self) {
        if self.window_end - self.index < MIN_MATCH_LENGTH + MAX_MATCH_LENGTH && !self.sync {
            return;
        }
        self.max_insert_index = self.window_end as isize - (MIN_MATCH_LENGTH as isize - 1);
        loop {
            let lookahead = self.window_end - self.index;
            if lookahead < MIN_MATCH_LENGTH + MAX_MATCH_LENGTH {
                if !self.sync {
                    break;
                }
                if lookahead == 0 {
                    if self.byte_available {
                        self.tokens
                            .push(Token::Literal(self.window[self.index - 1]));
                        self.byte_available = false;
                    }
                    if !self.tokens.is_empty() {
                        self.write_block(self.index);
                    }
                    break;
                }
            }
            if (self.index as isize) < self.max_insert_index {
                let h = hash4(&self.window[self.index..self.index + MIN_MATCH_LENGTH]) & HASH_MASK;
                let head = &mut self.hash_head[h as usize];
                self.chain_head = *head as isize;
                self.hash_prev[self.index & WINDOW_MASK] = *head;
                *head = (self.index + self.hash_offset) as u32;
            }
            let prev_length = self.length;
            let prev_offset = self.offset;
            self.length = MIN_MATCH_LENGTH - 1;
            self.offset = 0;
            let min_index = self.index.saturating_sub(WINDOW_SIZE) as isize;
            if self.chain_head - self.hash_offset as isize >= min_index
                && lookahead > prev_length
                && prev_length < LAZY
            {
                if let Some((l, o)) = self.find_match(
                    self.index,
                    self.chain_head - self.hash_offset as isize,
                    MIN_MATCH_LENGTH - 1,
                    lookahead,
                ) {
                    self.length = l;
                    self.offset = o;
                }
            }
            if prev_length >= MIN_MATCH_LENGTH && self.length <= prev_length {
                // The previous match is at least as good: emit it.
                self.tokens.push(Token::Match {
                    xlength: (prev_length - BASE_MATCH_LENGTH) as u32,
                    xoffset: (prev_offset - 1) as u32,
                });
                let new_index = self.index + prev_length - 1;
                self.index += 1;
                while self.index < new_index {
                    if (self.index as isize) < self.max_insert_index {
                        self.insert_hash(self.index);
                    }
                    self.index += 1;
                }
                self.byte_available = false;
                self.length = MIN_MATCH_LENGTH - 1;
                if self.tokens.len() == MAX_FLATE_BLOCK_TOKENS {
                    self.write_block(self.index);
                }
            } else {
                if self.byte_available {
                    let i = self.index - 1;
                    self.tokens.push(Token::Literal(self.window[i]));
                    if self.tokens.len() == MAX_FLATE_BLOCK_TOKENS {
                        self.write_block(i + 1);
                    }
                }
                self.index += 1;
                self.byte_available = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn b64(data: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(gzip(data))
    }

    #[test]
    fn terraform_values() {
        assert_eq!(b64(b"test"), "H4sIAAAAAAAA/ypJLS4BAAAA//8BAAD//wx+f9gEAAAA");
        assert_eq!(b64(b""), "H4sIAAAAAAAA/wAAAP//AQAA//8AAAAAAAAAAA==");
    }

    #[test]
    fn round_trips_through_a_standard_decoder() {
        use std::io::Read;
        let mut inputs: Vec<Vec<u8>> = vec![
            b"abcabcabcabcabcabcabc".to_vec(),
            (0..200_000u64).map(|i| (i * i % 251) as u8).collect(),
            "the quick brown fox ".repeat(5000).into_bytes(),
        ];
        inputs.push(
            (0..70_000u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                .collect(),
        );
        for input in inputs {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&gzip(&input)[..])
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, input);
        }
    }

    fn samples() -> Vec<Vec<u8>> {
        let mut seed = 7u64;
        let mut noise = |n: usize, alphabet: u64| -> Vec<u8> {
            (0..n)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (b'a' as u64 + (seed >> 33) % alphabet) as u8
                })
                .collect()
        };
        vec![
            b"hello hello hello world".to_vec(),
            b"a".repeat(300),
            noise(1000, 256),
            noise(50_000, 4),
            noise(140_000, 20),
            (0..200_000u64).map(|i| (i * i % 251) as u8).collect(),
            "the quick brown fox ".repeat(5000).into_bytes(),
            b"x".repeat(100_000),
        ]
    }

    /// Byte for byte against Go's own gzip.Writer, where Go is installed (the Kubernetes
    /// harness installs it).
    #[test]
    fn same_bytes_as_go() {
        let Ok(go) = which_go() else {
            eprintln!("skipped: no `go` on PATH to compare with");
            return;
        };
        let dir = std::env::temp_dir().join(format!("mlform-gogzip-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gogzip/main.go");
        let bin = dir.join("gogzip");
        let built = std::process::Command::new(&go)
            .args(["build", "-o"])
            .arg(&bin)
            .arg(&src)
            .env("GOCACHE", dir.join("cache"))
            .env("GO111MODULE", "off")
            .status()
            .unwrap();
        assert!(built.success(), "go build failed");
        for input in samples() {
            use std::io::Write;
            let mut child = std::process::Command::new(&bin)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(&input).unwrap();
            let out = child.wait_with_output().unwrap();
            assert_eq!(
                b64(&input),
                String::from_utf8(out.stdout).unwrap(),
                "input of {} bytes",
                input.len()
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn which_go() -> Result<std::path::PathBuf, ()> {
        std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .map(|d| d.join("go"))
            .find(|p| p.is_file())
            .ok_or(())
    }
}
