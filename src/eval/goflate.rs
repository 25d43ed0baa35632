//! Go's gzip output, byte for byte: `base64gzip` must give Terraform's bytes, and Terraform
//! compresses with Go's `compress/flate` at the default level (lazy matching on 4-byte hash
//! chains, then per block the smallest of fixed Huffman, dynamic Huffman and stored). Any
//! other deflate implementation decodes to the same text but encodes to other bytes.

const WINDOW_SIZE: usize = 1 << 15;
const WINDOW_MASK: usize = WINDOW_SIZE - 1;
const BASE_MATCH_LENGTH: usize = 3;
const MIN_MATCH_LENGTH: usize = 4;
const MAX_MATCH_LENGTH: usize = 258;
const MAX_FLATE_BLOCK_TOKENS: usize = 1 << 14;
const MAX_STORE_BLOCK_SIZE: usize = 65535;
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

const MAX_NUM_LIT: usize = 286;
const OFFSET_CODE_COUNT: usize = 30;
const END_BLOCK_MARKER: usize = 256;
const LENGTH_CODES_START: usize = 257;
const CODEGEN_CODE_COUNT: usize = 19;
const BAD_CODE: u8 = 255;

const LENGTH_EXTRA_BITS: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const LENGTH_BASE: [u32; 29] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128,
    160, 192, 224, 255,
];
const OFFSET_EXTRA_BITS: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
const OFFSET_BASE: [u32; 30] = [
    0x0000, 0x0001, 0x0002, 0x0003, 0x0004, 0x0006, 0x0008, 0x000c, 0x0010, 0x0018, 0x0020, 0x0030,
    0x0040, 0x0060, 0x0080, 0x00c0, 0x0100, 0x0180, 0x0200, 0x0300, 0x0400, 0x0600, 0x0800, 0x0c00,
    0x1000, 0x1800, 0x2000, 0x3000, 0x4000, 0x6000,
];
const CODEGEN_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

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

#[derive(Clone, Copy)]
enum Token {
    Literal(u8),
    /// Length minus 3, offset minus 1.
    Match {
        xlength: u32,
        xoffset: u32,
    },
    EndBlock,
}

fn length_code(xlength: u32) -> usize {
    LENGTH_BASE.partition_point(|&b| b <= xlength) - 1
}

fn offset_code(xoffset: u32) -> usize {
    OFFSET_BASE.partition_point(|&b| b <= xoffset) - 1
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

/// A Huffman code: per symbol its bit-reversed code and length.
#[derive(Clone)]
struct Code {
    code: Vec<u16>,
    len: Vec<u16>,
}

impl Code {
    fn new(size: usize) -> Self {
        Code {
            code: vec![0; size],
            len: vec![0; size],
        }
    }

    fn fixed_literal() -> Self {
        let mut c = Code::new(MAX_NUM_LIT);
        for ch in 0..MAX_NUM_LIT as u16 {
            let (bits, size) = match ch {
                0..=143 => (ch + 48, 8),
                144..=255 => (ch + 400 - 144, 9),
                256..=279 => (ch - 256, 7),
                _ => (ch + 192 - 280, 8),
            };
            c.code[ch as usize] = reverse_bits(bits, size);
            c.len[ch as usize] = size as u16;
        }
        c
    }

    fn fixed_offset() -> Self {
        let mut c = Code::new(OFFSET_CODE_COUNT);
        for i in 0..OFFSET_CODE_COUNT {
            c.code[i] = reverse_bits(i as u16, 5);
            c.len[i] = 5;
        }
        c
    }

    fn bit_length(&self, freq: &[i32]) -> usize {
        freq.iter()
            .zip(&self.len)
            .filter(|(f, _)| **f != 0)
            .map(|(f, l)| *f as usize * *l as usize)
            .sum()
    }

    /// The code Go's huffmanEncoder.generate builds for these frequencies.
    fn generate(&mut self, freq: &[i32], max_bits: i32) {
        let mut list: Vec<(u16, i32)> = Vec::with_capacity(freq.len() + 1);
        for (i, &f) in freq.iter().enumerate() {
            if f != 0 {
                list.push((i as u16, f));
            } else {
                self.len[i] = 0;
            }
        }
        if list.len() <= 2 {
            for (i, &(lit, _)) in list.iter().enumerate() {
                self.code[lit as usize] = i as u16;
                self.len[lit as usize] = 1;
            }
            return;
        }
        list.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        let bit_count = bit_counts(&list, max_bits);
        let mut code: u16 = 0;
        let mut rest = &mut list[..];
        for (n, &bits) in bit_count.iter().enumerate() {
            code <<= 1;
            if n == 0 || bits == 0 {
                continue;
            }
            let split = rest.len() - bits as usize;
            let (head, chunk) = rest.split_at_mut(split);
            chunk.sort_by_key(|x| x.0);
            for &(lit, _) in chunk.iter() {
                self.code[lit as usize] = reverse_bits(code, n as u8);
                self.len[lit as usize] = n as u16;
                code = code.wrapping_add(1);
            }
            rest = head;
        }
    }
}

/// Go's bitCounts: how many literals get each code length, lengths limited to `max_bits`.
/// `list` is sorted by frequency and has at least three entries.
fn bit_counts(list: &[(u16, i32)], max_bits: i32) -> Vec<i32> {
    const LIMIT: usize = 16;
    let n = list.len() as i32;
    let freq = |i: i32| {
        if i < n {
            list[i as usize].1
        } else {
            i32::MAX
        }
    };
    let max_bits = max_bits.min(n - 1) as usize;
    #[derive(Clone, Copy, Default)]
    struct Level {
        last_freq: i32,
        next_char_freq: i32,
        next_pair_freq: i32,
        needed: i32,
    }
    let mut levels = [Level::default(); LIMIT + 1];
    let mut leaf_counts = [[0i32; LIMIT]; LIMIT];
    for level in 1..=max_bits {
        levels[level] = Level {
            last_freq: freq(1),
            next_char_freq: freq(2),
            next_pair_freq: if level == 1 {
                i32::MAX
            } else {
                freq(0) + freq(1)
            },
            needed: 0,
        };
        leaf_counts[level][level] = 2;
    }
    levels[max_bits].needed = 2 * n - 4;
    let mut level = max_bits;
    loop {
        let l = levels[level];
        if l.next_pair_freq == i32::MAX && l.next_char_freq == i32::MAX {
            levels[level].needed = 0;
            levels[level + 1].next_pair_freq = i32::MAX;
            level += 1;
            continue;
        }
        let prev_freq = l.last_freq;
        if l.next_char_freq < l.next_pair_freq {
            let count = leaf_counts[level][level] + 1;
            levels[level].last_freq = l.next_char_freq;
            leaf_counts[level][level] = count;
            levels[level].next_char_freq = freq(count);
        } else {
            levels[level].last_freq = l.next_pair_freq;
            let below = leaf_counts[level - 1];
            leaf_counts[level][..level].copy_from_slice(&below[..level]);
            levels[level - 1].needed = 2;
        }
        levels[level].needed -= 1;
        if levels[level].needed == 0 {
            if level == max_bits {
                break;
            }
            levels[level + 1].next_pair_freq = prev_freq + levels[level].last_freq;
            level += 1;
        } else {
            while levels[level - 1].needed > 0 {
                level -= 1;
            }
        }
    }
    let mut bit_count = vec![0i32; max_bits + 1];
    let counts = &leaf_counts[max_bits];
    for (bits, level) in (1..=max_bits).zip((1..=max_bits).rev()) {
        bit_count[bits] = counts[level] - counts[level - 1];
    }
    bit_count
}

fn reverse_bits(number: u16, bit_length: u8) -> u16 {
    (number << (16 - bit_length as u32)).reverse_bits()
}

/// Deflate's LSB-first bit stream, with Go's block writer on top.
#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    bits: u64,
    nbits: u32,
}

impl BitWriter {
    fn write_bits(&mut self, b: u32, nb: u32) {
        self.bits |= u64::from(b) << self.nbits;
        self.nbits += nb;
        while self.nbits >= 8 {
            self.out.push(self.bits as u8);
            self.bits >>= 8;
            self.nbits -= 8;
        }
    }

    fn align(&mut self) {
        if self.nbits > 0 {
            self.out.push(self.bits as u8);
        }
        self.bits = 0;
        self.nbits = 0;
    }

    fn write_code(&mut self, c: &Code, sym: usize) {
        self.write_bits(u32::from(c.code[sym]), u32::from(c.len[sym]));
    }

    fn write_stored_header(&mut self, length: usize, eof: bool) {
        self.write_bits(u32::from(eof), 3);
        self.align();
        self.write_bits(length as u32, 16);
        self.write_bits(u32::from(!(length as u16)), 16);
    }

    fn write_block(&mut self, tokens: &[Token], eof: bool, input: Option<&[u8]>) {
        let mut tokens = tokens.to_vec();
        tokens.push(Token::EndBlock);
        let mut lit_freq = vec![0i32; MAX_NUM_LIT];
        let mut off_freq = vec![0i32; OFFSET_CODE_COUNT];
        for t in &tokens {
            match *t {
                Token::Literal(b) => lit_freq[b as usize] += 1,
                Token::EndBlock => lit_freq[END_BLOCK_MARKER] += 1,
                Token::Match { xlength, xoffset } => {
                    lit_freq[LENGTH_CODES_START + length_code(xlength)] += 1;
                    off_freq[offset_code(xoffset)] += 1;
                }
            }
        }
        let mut num_literals = MAX_NUM_LIT;
        while lit_freq[num_literals - 1] == 0 {
            num_literals -= 1;
        }
        let mut num_offsets = OFFSET_CODE_COUNT;
        while num_offsets > 0 && off_freq[num_offsets - 1] == 0 {
            num_offsets -= 1;
        }
        if num_offsets == 0 {
            off_freq[0] = 1;
            num_offsets = 1;
        }
        let mut lit_enc = Code::new(MAX_NUM_LIT);
        lit_enc.generate(&lit_freq, 15);
        let mut off_enc = Code::new(OFFSET_CODE_COUNT);
        off_enc.generate(&off_freq, 15);

        let stored = input.filter(|i| i.len() <= MAX_STORE_BLOCK_SIZE);
        let mut extra_bits = 0usize;
        if stored.is_some() {
            for code in LENGTH_CODES_START + 8..num_literals {
                extra_bits +=
                    lit_freq[code] as usize * LENGTH_EXTRA_BITS[code - LENGTH_CODES_START] as usize;
            }
            for code in 4..num_offsets {
                extra_bits += off_freq[code] as usize * OFFSET_EXTRA_BITS[code] as usize;
            }
        }
        let fixed_lit = Code::fixed_literal();
        let fixed_off = Code::fixed_offset();
        let fixed_size =
            3 + fixed_lit.bit_length(&lit_freq) + fixed_off.bit_length(&off_freq) + extra_bits;

        let (codegen, codegen_freq) =
            generate_codegen(&lit_enc, num_literals, &off_enc, num_offsets);
        let mut codegen_enc = Code::new(CODEGEN_CODE_COUNT);
        codegen_enc.generate(&codegen_freq, 7);
        let mut num_codegens = CODEGEN_CODE_COUNT;
        while num_codegens > 4 && codegen_freq[CODEGEN_ORDER[num_codegens - 1]] == 0 {
            num_codegens -= 1;
        }
        let dynamic_size = 3
            + 5
            + 5
            + 4
            + 3 * num_codegens
            + codegen_enc.bit_length(&codegen_freq)
            + codegen_freq[16] as usize * 2
            + codegen_freq[17] as usize * 3
            + codegen_freq[18] as usize * 7
            + lit_enc.bit_length(&lit_freq)
            + off_enc.bit_length(&off_freq)
            + extra_bits;
        let dynamic = dynamic_size < fixed_size;
        let size = fixed_size.min(dynamic_size);

        if let Some(input) = stored {
            if (input.len() + 5) * 8 < size {
                self.write_stored_header(input.len(), eof);
                self.out.extend_from_slice(input);
                return;
            }
        }
        let (lit, off) = if dynamic {
            self.write_bits(if eof { 5 } else { 4 }, 3);
            self.write_bits((num_literals - 257) as u32, 5);
            self.write_bits((num_offsets - 1) as u32, 5);
            self.write_bits((num_codegens - 4) as u32, 4);
            for &i in &CODEGEN_ORDER[..num_codegens] {
                self.write_bits(u32::from(codegen_enc.len[i]), 3);
            }
            let mut i = 0;
            while codegen[i] != BAD_CODE {
                let word = codegen[i] as usize;
                i += 1;
                self.write_code(&codegen_enc, word);
                let extra = match word {
                    16 => 2,
                    17 => 3,
                    18 => 7,
                    _ => 0,
                };
                if extra > 0 {
                    self.write_bits(u32::from(codegen[i]), extra);
                    i += 1;
                }
            }
            (&lit_enc, &off_enc)
        } else {
            self.write_bits(if eof { 3 } else { 2 }, 3);
            (&fixed_lit, &fixed_off)
        };
        for t in &tokens {
            match *t {
                Token::Literal(b) => self.write_code(lit, b as usize),
                Token::EndBlock => self.write_code(lit, END_BLOCK_MARKER),
                Token::Match { xlength, xoffset } => {
                    let lc = length_code(xlength);
                    self.write_code(lit, lc + LENGTH_CODES_START);
                    let extra = u32::from(LENGTH_EXTRA_BITS[lc]);
                    if extra > 0 {
                        self.write_bits(xlength - LENGTH_BASE[lc], extra);
                    }
                    let oc = offset_code(xoffset);
                    self.write_code(off, oc);
                    let extra = u32::from(OFFSET_EXTRA_BITS[oc]);
                    if extra > 0 {
                        self.write_bits(xoffset - OFFSET_BASE[oc], extra);
                    }
                }
            }
        }
    }
}

/// RFC 1951 3.2.7's run-length encoding of the code lengths, as Go's generateCodegen
/// writes it, ended by `BAD_CODE`; and how often each codegen symbol occurs.
fn generate_codegen(
    lit: &Code,
    num_literals: usize,
    off: &Code,
    num_offsets: usize,
) -> (Vec<u8>, [i32; CODEGEN_CODE_COUNT]) {
    let mut sizes: Vec<u8> = lit.len[..num_literals]
        .iter()
        .chain(&off.len[..num_offsets])
        .map(|&l| l as u8)
        .collect();
    sizes.push(BAD_CODE);
    let mut freq = [0i32; CODEGEN_CODE_COUNT];
    let mut out = Vec::with_capacity(sizes.len());
    let mut size = sizes[0];
    let mut count: i32 = 1;
    let mut in_index = 1;
    while size != BAD_CODE {
        let next = sizes[in_index];
        in_index += 1;
        if next == size {
            count += 1;
            continue;
        }
        if size != 0 {
            out.push(size);
            freq[size as usize] += 1;
            count -= 1;
            while count >= 3 {
                let n = count.min(6);
                out.extend([16, (n - 3) as u8]);
                freq[16] += 1;
                count -= n;
            }
        } else {
            while count >= 11 {
                let n = count.min(138);
                out.extend([18, (n - 11) as u8]);
                freq[18] += 1;
                count -= n;
            }
            if count >= 3 {
                out.extend([17, (count - 3) as u8]);
                freq[17] += 1;
                count = 0;
            }
        }
        for _ in 0..count {
            out.push(size);
            freq[size as usize] += 1;
        }
        size = next;
        count = 1;
    }
    out.push(BAD_CODE);
    (out, freq)
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
