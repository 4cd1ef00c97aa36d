//! A minimal MaxMind DB writer, so tests can build databases with known networks.
//!
//! Follows the MaxMind DB format spec 2.0: an IPv6 search tree with 24-bit records (IPv4
//! networks live under `::/96`), 16 zero bytes, the data section, then the metadata marker and
//! metadata map. Networks must not nest.

use std::net::IpAddr;

/// A value in the data section.
pub enum Data {
    Str(&'static str),
    Map(Vec<(&'static str, Data)>),
}

/// Networks and their records, written out by [`MmdbBuilder::build`].
#[derive(Default)]
pub struct MmdbBuilder {
    networks: Vec<(u128, u8, Data)>,
    database_type: &'static str,
}

/// A record: either another node, no data, or an offset into the data section.
#[derive(Clone, Copy)]
enum Record {
    Node(usize),
    Empty,
    Data(usize),
}

impl MmdbBuilder {
    pub fn new(database_type: &'static str) -> MmdbBuilder {
        MmdbBuilder {
            networks: Vec::new(),
            database_type,
        }
    }

    /// Adds `cidr` (`203.0.113.0/24` or `2001:db8::/32`) with `data`.
    pub fn network(mut self, cidr: &str, data: Data) -> MmdbBuilder {
        let (addr, len) = cidr.split_once('/').expect("a CIDR");
        let len: u8 = len.parse().unwrap();
        let (bits, len) = match addr.parse::<IpAddr>().unwrap() {
            IpAddr::V4(v4) => (u128::from(u32::from(v4)), len + 96),
            IpAddr::V6(v6) => (u128::from(v6), len),
        };
        self.networks.push((bits, len, data));
        self
    }

    /// A network whose record holds `{"country_code": code}`, as ip-location-db writes.
    pub fn country_code(self, cidr: &str, code: &'static str) -> MmdbBuilder {
        self.network(cidr, Data::Map(vec![("country_code", Data::Str(code))]))
    }

    /// A network whose record holds `{"country": {"iso_code": code}}`, as GeoLite2 writes.
    pub fn iso_code(self, cidr: &str, code: &'static str) -> MmdbBuilder {
        self.network(
            cidr,
            Data::Map(vec![
                (
                    "country",
                    Data::Map(vec![
                        ("iso_code", Data::Str(code)),
                        ("names", Data::Map(vec![("en", Data::Str("Somewhere"))])),
                    ]),
                ),
                ("continent", Data::Map(vec![("code", Data::Str("EU"))])),
            ]),
        )
    }

    pub fn build(self) -> Vec<u8> {
        let mut data = Vec::new();
        let mut nodes: Vec<[Record; 2]> = vec![[Record::Empty, Record::Empty]];
        for (bits, len, value) in &self.networks {
            let offset = data.len();
            encode(value, &mut data);
            let mut node = 0;
            for depth in 0..*len {
                let bit = ((bits >> (127 - depth)) & 1) as usize;
                if depth + 1 == *len {
                    nodes[node][bit] = Record::Data(offset);
                    break;
                }
                node = match nodes[node][bit] {
                    Record::Node(next) => next,
                    Record::Empty => {
                        nodes.push([Record::Empty, Record::Empty]);
                        let next = nodes.len() - 1;
                        nodes[node][bit] = Record::Node(next);
                        next
                    }
                    Record::Data(_) => panic!("networks nest"),
                };
            }
        }
        let node_count = nodes.len();
        let mut out = Vec::new();
        for node in &nodes {
            for record in node {
                let value = match *record {
                    Record::Node(n) => n,
                    Record::Empty => node_count,
                    Record::Data(offset) => node_count + 16 + offset,
                };
                out.extend_from_slice(&(value as u32).to_be_bytes()[1..]);
            }
        }
        out.extend_from_slice(&[0; 16]);
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
        let mut meta = Vec::new();
        control(7, 9, &mut meta);
        for (key, value) in [
            ("node_count", Uint::U32(node_count as u32)),
            ("record_size", Uint::U16(24)),
            ("ip_version", Uint::U16(6)),
            ("binary_format_major_version", Uint::U16(2)),
            ("binary_format_minor_version", Uint::U16(0)),
            ("build_epoch", Uint::U64(1_700_000_000)),
        ] {
            encode(&Data::Str(key), &mut meta);
            value.encode(&mut meta);
        }
        encode(&Data::Str("database_type"), &mut meta);
        encode(&Data::Str(self.database_type), &mut meta);
        encode(&Data::Str("languages"), &mut meta);
        meta.extend_from_slice(&[0, 4]); // extended type 11 (array), size 0
        encode(&Data::Str("description"), &mut meta);
        encode(
            &Data::Map(vec![("en", Data::Str("test database"))]),
            &mut meta,
        );
        out.extend_from_slice(&meta);
        out
    }
}

enum Uint {
    U16(u16),
    U32(u32),
    U64(u64),
}

impl Uint {
    fn encode(&self, out: &mut Vec<u8>) {
        match *self {
            Uint::U16(v) => {
                control(5, 2, out);
                out.extend_from_slice(&v.to_be_bytes());
            }
            Uint::U32(v) => {
                control(6, 4, out);
                out.extend_from_slice(&v.to_be_bytes());
            }
            Uint::U64(v) => {
                out.extend_from_slice(&[8, 2]); // extended type 9 (uint64), size 8
                out.extend_from_slice(&v.to_be_bytes());
            }
        }
    }
}

/// A control byte for a basic type (1..=7), with a size byte after it for sizes 29 to 284.
fn control(kind: u8, size: usize, out: &mut Vec<u8>) {
    if size < 29 {
        out.push(kind << 5 | size as u8);
    } else {
        out.extend_from_slice(&[kind << 5 | 29, u8::try_from(size - 29).expect("size < 285")]);
    }
}

fn encode(value: &Data, out: &mut Vec<u8>) {
    match value {
        Data::Str(s) => {
            control(2, s.len(), out);
            out.extend_from_slice(s.as_bytes());
        }
        Data::Map(entries) => {
            control(7, entries.len(), out);
            for (key, value) in entries {
                encode(&Data::Str(key), out);
                encode(value, out);
            }
        }
    }
}
