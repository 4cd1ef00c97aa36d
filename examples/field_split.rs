//! The floor of any log analyser's work, which the throughput goals are stated against: reads a
//! file in 2 MiB blocks, finds each line with memchr and each space-separated field in it with
//! memchr, and counts them, nothing more. `benches/compare.sh` runs it beside logveil, so that
//! logveil's speed can be read as a share of this machine's own ceiling.
//!
//! ```text
//! cargo build --release --example field_split
//! target/release/examples/field_split access.log
//! ```

use std::io::Read;

/// Bytes per read.
const BLOCK: usize = 2 << 20;

fn main() -> std::io::Result<()> {
    let path = std::env::args_os().nth(1).expect("usage: field_split FILE");
    let mut file = std::fs::File::open(path)?;
    // Page-aligned, as the page cache is: the kernel's copy into a buffer out of step with the
    // file by 1 to 31 bytes modulo 64 ran six times slower on an AMD EPYC.
    let mut backing = vec![0u8; BLOCK + 4096];
    let start = backing.as_ptr().align_offset(4096);
    let block = &mut backing[start..start + BLOCK];
    let (mut lines, mut fields, mut widest) = (0u64, 0u64, 0usize);
    // Bytes of a line cut by the end of the last block, kept at the front of this one.
    let mut carried = 0;
    loop {
        let read = file.read(&mut block[carried..])?;
        let filled = carried + read;
        let mut line_start = 0;
        for end in memchr::memchr_iter(b'\n', &block[..filled]) {
            let line = &block[line_start..end];
            lines += 1;
            // Each field's bounds, as a parser needs them (a bare count would be vectorised).
            let mut field_start = 0;
            for space in memchr::memchr_iter(b' ', line) {
                widest = widest.max(space - field_start);
                field_start = space + 1;
                fields += 1;
            }
            widest = widest.max(line.len() - field_start);
            fields += 1;
            line_start = end + 1;
        }
        if read == 0 {
            lines += u64::from(line_start < filled);
            break;
        }
        block.copy_within(line_start..filled, 0);
        carried = filled - line_start;
        assert!(carried < BLOCK, "a line longer than {BLOCK} bytes");
    }
    println!("{lines} lines, {fields} fields, the widest {widest} bytes");
    Ok(())
}
