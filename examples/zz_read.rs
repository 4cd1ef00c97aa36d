use std::io::Read;
fn main() -> std::io::Result<()> {
    let mut a = std::env::args().skip(1);
    let path = a.next().unwrap();
    let shift: usize = a.next().unwrap().parse().unwrap();
    let mut file = std::fs::File::open(path)?;
    const N: usize = 2 << 20;
    let mut n = 0u64;
    let mut keep = vec![0u8; N + 8192];
    let skip: usize = a.next().unwrap().parse().unwrap();
    let mut first = vec![0u8; skip];
    file.read_exact(&mut first)?;
    let off = keep.as_ptr().align_offset(4096) + shift;
    loop {
        let r = file.read(&mut keep[off..off + N])?;
        n += keep[off] as u64;
        if r == 0 {
            break;
        }
    }
    println!("{n}");
    Ok(())
}
