//! The floor of any log analyser's work: reads a file in 2 MiB blocks and finds every space and
//! newline with memchr, nothing more. `benches/compare.sh` runs it as the ceiling that logveil's
//! one-thread speed is compared against on the same machine in the same run.
//!
//! ```text
//! cargo build --release --example field_split
//! target/release/examples/field_split access.log
//! ```

use std::io::Read;

fn main() -> std::io::Result<()> {
    let path = std::env::args_os().nth(1).expect("usage: field_split FILE");
    let mut file = std::fs::File::open(path)?;
    let mut block = vec![0u8; 2 << 20];
    let (mut lines, mut fields) = (0u64, 0u64);
    loop {
        let read = file.read(&mut block)?;
        if read == 0 {
            break;
        }
        for at in memchr::memchr2_iter(b' ', b'\n', &block[..read]) {
            if block[at] == b'\n' {
                lines += 1;
            } else {
                fields += 1;
            }
        }
    }
    println!("{lines} lines, {} fields", fields + lines);
    Ok(())
}
