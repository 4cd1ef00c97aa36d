//! Newline-aligned chunks: reads large blocks and hands out only whole lines, carrying the
//! partial last line over to the next chunk (like ripgrep's LineBuffer).
//!
//! A "line" longer than the cap is skipped up to its newline and reported by line number, so one
//! runaway line cannot exhaust memory or hide the rest of a file.

use std::io::{self, Read};

/// Default chunk size: large enough to amortise the hand-off between threads (about 10,000
/// lines of a combined log).
///
/// perf: a run holds about three chunks per worker (in the queue, in work, being read);
/// halving them from 4 MiB took 13 MB off a two-thread run's 125 MB peak and changed no
/// timing that could be told from noise.
pub const DEFAULT_CHUNK_SIZE: usize = 2 << 20;
/// Bytes read into a chunk at a time: small enough to be counted from this core's L2 cache.
const READ_STEP: usize = 128 << 10;
/// Default cap on one line.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// A run of whole lines.
#[derive(Debug, Default)]
pub struct Chunk {
    pub data: Vec<u8>,
    /// Number (from 1) of the first line in `data`.
    pub first_line: u64,
    /// Line numbers of over-long lines skipped just before this chunk.
    pub skipped_long_lines: Vec<u64>,
}

/// Splits a byte stream into [`Chunk`]s.
pub struct ChunkReader<R> {
    reader: R,
    chunk_size: usize,
    max_line: usize,
    /// Bytes read but not handed out yet (a partial line).
    carry: Vec<u8>,
    next_line: u64,
    /// Bytes read from `reader`.
    bytes_read: u64,
    done: bool,
    /// A read error held back until the whole lines read before it have been handed out.
    pending_error: Option<io::Error>,
}

impl<R: Read> ChunkReader<R> {
    pub fn new(reader: R, chunk_size: usize, max_line: usize) -> ChunkReader<R> {
        ChunkReader {
            reader,
            chunk_size: chunk_size.max(1),
            max_line: max_line.max(1),
            carry: Vec::new(),
            next_line: 1,
            bytes_read: 0,
            done: false,
            pending_error: None,
        }
    }

    /// Bytes read so far (after decompression).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Lines handed out so far, including skipped ones.
    pub fn lines_read(&self) -> u64 {
        self.next_line - 1
    }

    /// Reads until `buf` holds `want` bytes or the input ends, and returns how many newlines
    /// the bytes read hold.
    ///
    /// `read_to_end` fills the spare capacity without zeroing it before every `read`:
    /// decoders return a few kilobytes per call, and zeroing the rest of a chunk each
    /// time cost more than decoding.
    ///
    /// perf: newlines are counted a step at a time, while the step just read is still in
    /// this core's cache. Counted over the whole chunk after it was read, they took 34 to
    /// 79 ms of the reader thread's 290 to 430 in a two-thread run of a 1 GiB log; now 21
    /// to 34 (`perf record`, three runs each).
    fn fill(&mut self, buf: &mut Vec<u8>, want: usize) -> io::Result<u64> {
        if buf.len() >= want || self.done {
            return Ok(0);
        }
        buf.reserve_exact(want - buf.len());
        let mut newlines = 0;
        while buf.len() < want {
            let step = (want - buf.len()).min(READ_STEP);
            let before = buf.len();
            let result = (&mut self.reader).take(step as u64).read_to_end(buf);
            let read = buf.len() - before;
            self.bytes_read += read as u64;
            newlines += bytecount::count(&buf[before..], b'\n') as u64;
            result?;
            if read < step {
                self.done = true;
                break;
            }
        }
        Ok(newlines)
    }

    /// The next chunk, or `None` at the end of the input.
    ///
    /// After a read error (a truncated gzip stream, say) the whole lines read before it are still
    /// handed out, then the error is returned; the partial line at the break is dropped.
    pub fn next_chunk(&mut self) -> io::Result<Option<Chunk>> {
        if let Some(e) = self.pending_error.take() {
            return Err(e);
        }
        let mut skipped = Vec::new();
        let mut buf = std::mem::take(&mut self.carry);
        // Newlines in `buf`: the carried partial line has none, unless a skipped line left
        // the rest of its block.
        let mut newlines = bytecount::count(&buf, b'\n') as u64;
        // Bytes at the front of `buf` known to hold no newline.
        let mut searched = 0;
        loop {
            let want = if buf.len() < self.chunk_size {
                self.chunk_size
            } else {
                buf.len() + self.chunk_size
            };
            match self.fill(&mut buf, want) {
                Ok(read) => newlines += read,
                Err(e) => {
                    self.done = true;
                    let whole = memchr::memrchr(b'\n', &buf).map_or(0, |p| p + 1);
                    if whole == 0 && skipped.is_empty() {
                        return Err(e);
                    }
                    self.pending_error = Some(e);
                    buf.truncate(whole);
                    let newlines = bytecount::count(&buf, b'\n') as u64;
                    return Ok(Some(self.emit(buf, newlines, skipped)));
                }
            }
            if let Some(pos) = memchr::memrchr(b'\n', &buf[searched..]) {
                self.carry = buf.split_off(searched + pos + 1);
                return Ok(Some(self.emit(buf, newlines, skipped)));
            }
            if self.done {
                if buf.is_empty() && skipped.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(self.emit(buf, newlines, skipped)));
            }
            searched = buf.len();
            if buf.len() > self.max_line {
                skipped.push(self.next_line);
                self.next_line += 1;
                self.skip_rest_of_line()?;
                buf = std::mem::take(&mut self.carry);
                newlines = bytecount::count(&buf, b'\n') as u64;
                searched = 0;
            }
        }
    }

    /// Discards input up to and including the next newline.
    fn skip_rest_of_line(&mut self) -> io::Result<()> {
        let mut scratch = Vec::with_capacity(self.chunk_size);
        loop {
            scratch.clear();
            self.fill(&mut scratch, self.chunk_size)?;
            if let Some(pos) = memchr::memchr(b'\n', &scratch) {
                self.carry = scratch.split_off(pos + 1);
                return Ok(());
            }
            if self.done {
                return Ok(());
            }
        }
    }

    /// A chunk of `data`, which holds `newlines` newlines.
    fn emit(&mut self, data: Vec<u8>, newlines: u64, skipped_long_lines: Vec<u64>) -> Chunk {
        debug_assert_eq!(newlines, bytecount::count(&data, b'\n') as u64);
        let first_line = self.next_line;
        let unterminated = u64::from(!data.is_empty() && !data.ends_with(b"\n"));
        self.next_line += newlines + unterminated;
        Chunk {
            data,
            first_line,
            skipped_long_lines,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(input: &[u8], size: usize, max_line: usize) -> Vec<Chunk> {
        let mut r = ChunkReader::new(input, size, max_line);
        let mut out = Vec::new();
        while let Some(c) = r.next_chunk().unwrap() {
            out.push(c);
        }
        out
    }

    #[test]
    fn chunks_hold_whole_lines_and_rejoin_to_the_input() {
        let input: Vec<u8> = (0..500)
            .flat_map(|i| format!("line number {i}\n").into_bytes())
            .collect();
        for size in [1, 7, 64, 1000, 1 << 20] {
            let got = chunks(&input, size, 1 << 20);
            let mut joined = Vec::new();
            let mut expected_first = 1;
            for c in &got {
                assert!(c.data.ends_with(b"\n"), "size {size}");
                assert_eq!(c.first_line, expected_first);
                expected_first += bytecount::count(&c.data, b'\n') as u64;
                joined.extend_from_slice(&c.data);
            }
            assert_eq!(joined, input, "size {size}");
        }
    }

    /// Hands out at most 3 bytes per call, and is interrupted every other call, as decoders
    /// and signals make real readers do.
    struct TrickleReader<'a> {
        data: &'a [u8],
        calls: usize,
    }

    impl Read for TrickleReader<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls.is_multiple_of(2) {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(self.data.len()).min(3);
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn short_reads_still_fill_whole_chunks() {
        let input: Vec<u8> = (0..300)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let reader = TrickleReader {
            data: &input,
            calls: 0,
        };
        let mut r = ChunkReader::new(reader, 256, 1 << 20);
        let mut got = Vec::new();
        while let Some(c) = r.next_chunk().unwrap() {
            got.push(c.data);
        }
        // Every chunk but the last reached the chunk size before its last newline was sought.
        for chunk in &got[..got.len() - 1] {
            assert!(chunk.len() > 256 - 10, "{}", chunk.len());
        }
        assert_eq!(got.concat(), input);
        assert_eq!(r.bytes_read(), input.len() as u64);
    }

    #[test]
    fn a_missing_final_newline_keeps_the_last_line() {
        let got = chunks(b"a\nb", 1, 100);
        let joined: Vec<u8> = got.iter().flat_map(|c| c.data.clone()).collect();
        assert_eq!(joined, b"a\nb");
        assert!(chunks(b"", 4, 100).is_empty());
    }

    /// Reads its data, then fails like a truncated compressed stream.
    struct FailingReader<'a>(&'a [u8]);

    impl Read for FailingReader<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "cut"));
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn whole_lines_before_a_read_error_are_kept() {
        let mut r = ChunkReader::new(FailingReader(b"one\ntwo\nthr"), 1 << 20, 1 << 20);
        let chunk = r.next_chunk().unwrap().unwrap();
        assert_eq!(chunk.data, b"one\ntwo\n");
        assert_eq!(
            r.next_chunk().unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
        let mut r = ChunkReader::new(FailingReader(b"partial"), 1 << 20, 1 << 20);
        assert!(r.next_chunk().is_err());
    }

    #[test]
    fn over_long_lines_are_skipped_and_numbered() {
        let mut input = b"short\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 5000));
        input.extend_from_slice(b"\nafter\n");
        let got = chunks(&input, 64, 1000);
        let joined: Vec<u8> = got.iter().flat_map(|c| c.data.clone()).collect();
        assert_eq!(joined, b"short\nafter\n");
        let skipped: Vec<u64> = got
            .iter()
            .flat_map(|c| c.skipped_long_lines.clone())
            .collect();
        assert_eq!(skipped, vec![2]);
        let after = got.iter().find(|c| c.data.starts_with(b"after")).unwrap();
        assert_eq!(after.first_line, 3);
    }
}
