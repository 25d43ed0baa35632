//! One deflate block as Go writes it: token frequencies, Go's length-limited Huffman codes
//! (its bitCounts and literal-order assignment), the code-length run-length encoding, and the
//! choice of the smallest of fixed Huffman, dynamic Huffman and stored.

const MAX_STORE_BLOCK_SIZE: usize = 65535;
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

#[derive(Clone, Copy)]
pub(super) enum Token {
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
pub(super) struct BitWriter {
    pub(super) out: Vec<u8>,
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

    pub(super) fn align(&mut self) {
        if self.nbits > 0 {
            self.out.push(self.bits as u8);
        }
        self.bits = 0;
        self.nbits = 0;
    }

    fn write_code(&mut self, c: &Code, sym: usize) {
        self.write_bits(u32::from(c.code[sym]), u32::from(c.len[sym]));
    }

    pub(super) fn write_stored_header(&mut self, length: usize, eof: bool) {
        self.write_bits(u32::from(eof), 3);
        self.align();
        self.write_bits(length as u32, 16);
        self.write_bits(u32::from(!(length as u16)), 16);
    }

    pub(super) fn write_block(&mut self, tokens: &[Token], eof: bool, input: Option<&[u8]>) {
        let tokens = || tokens.iter().chain(std::iter::once(&Token::EndBlock));
        let mut lit_freq = vec![0i32; MAX_NUM_LIT];
        let mut off_freq = vec![0i32; OFFSET_CODE_COUNT];
        for t in tokens() {
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
        for t in tokens() {
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
