//! Compression, recognised by magic bytes rather than file names.

use flate2::read::MultiGzDecoder;
use std::io::{self, BufRead, BufReader, Read};

/// How an input is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    /// Recognises gzip (`1f 8b`) and zstd (`28 b5 2f fd`) from the first bytes.
    pub fn detect(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Wraps `reader` in the decoder its first bytes call for.
///
/// gzip inputs may hold several members (rotated logs concatenated); all are read. A stream that
/// ends early surfaces as an `UnexpectedEof` read error.
pub fn decoder<'r>(
    reader: impl Read + Send + 'r,
) -> io::Result<(Compression, Box<dyn Read + Send + 'r>)> {
    let mut buffered = BufReader::with_capacity(256 * 1024, reader);
    let head = buffered.fill_buf()?;
    let compression = Compression::detect(head);
    let reader: Box<dyn Read + Send + 'r> = match compression {
        // perf: the bytes read to sniff are handed out first, then reads go straight to the
        // input. Through the buffer, the first reads of every chunk were copied twice: an
        // eighth of a plain file's bytes (callgrind, 25 instructions a line).
        Compression::None => {
            let head = buffered.buffer().to_vec();
            Box::new(io::Cursor::new(head).chain(buffered.into_inner()))
        }
        Compression::Gzip => Box::new(MultiGzDecoder::new(buffered)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(buffered)?),
    };
    Ok((compression, reader))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn read_all(bytes: &[u8]) -> (Compression, io::Result<Vec<u8>>) {
        let (c, mut r) = decoder(bytes).unwrap();
        let mut out = Vec::new();
        let res = r.read_to_end(&mut out).map(|_| out);
        (c, res)
    }

    #[test]
    fn plain_gzip_multi_member_and_zstd_are_read() {
        assert_eq!(read_all(b"plain\n").1.unwrap(), b"plain\n");
        let mut two = gzip(b"one\n");
        two.extend(gzip(b"two\n"));
        let (c, got) = read_all(&two);
        assert_eq!(
            (c, got.unwrap()),
            (Compression::Gzip, b"one\ntwo\n".to_vec())
        );
        let z = zstd::encode_all(&b"zzz\n"[..], 3).unwrap();
        let (c, got) = read_all(&z);
        assert_eq!((c, got.unwrap()), (Compression::Zstd, b"zzz\n".to_vec()));
    }

    /// A plain input longer than the bytes read to sniff it comes out whole, whatever the
    /// reads that cross from those bytes to the rest.
    #[test]
    fn plain_input_past_the_sniffed_bytes_is_whole() {
        let data: Vec<u8> = (0..60_000u32)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        assert!(data.len() > 256 * 1024);
        for piece in [1000, 4096, 1 << 20] {
            let (c, mut r) = decoder(&data[..]).unwrap();
            assert_eq!(c, Compression::None);
            let mut out = Vec::new();
            let mut buf = vec![0u8; piece];
            loop {
                let n = r.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
            }
            assert_eq!(out, data, "reads of {piece}");
        }
    }

    #[test]
    fn truncated_streams_are_errors() {
        let data: Vec<u8> = (0..20_000u32)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let gz = gzip(&data);
        let (_, got) = read_all(&gz[..gz.len() / 2]);
        assert_eq!(got.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
        let z = zstd::encode_all(&data[..], 3).unwrap();
        assert!(read_all(&z[..z.len() / 2]).1.is_err());
    }
}
