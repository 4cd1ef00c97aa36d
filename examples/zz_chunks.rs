use logveil::input::Input;
use logveil::input::chunk::ChunkReader;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let input = Input::File(path.into());
    let (_, reader) = input.open().unwrap();
    let mut chunks = ChunkReader::new(reader, 2 << 20, 1 << 20);
    let mut n = 0u64;
    let mut keep = Vec::new();
    while let Some(c) = chunks.next_chunk().unwrap() {
        n += c.data.len() as u64;
        keep.push(c);
        if keep.len() > 4 {
            keep.remove(0);
        }
    }
    println!("{n} {}", chunks.lines_read());
}
