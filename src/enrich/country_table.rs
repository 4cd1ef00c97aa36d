//! [`V4Countries`]: the countries of the IPv4 space as sorted intervals, read out of a country
//! database one `/8` block at a time, the first time an address in that block is looked up.
//!
//! perf: a per-worker cache of `/24` prefixes in front of the database missed on 17% of the
//! lines of a generated 1 GiB log (200,000 clients), and every miss walked the database's tree
//! and decoded a record; countries took 0.5 s of a 4.3 s one-thread run. A block of the
//! built-in database is about 1,300 intervals (8 KB), read out in well under a millisecond, and
//! a look-up is a binary search in it, shared by every worker.

use ipnetwork::{IpNetwork, Ipv4Network};
use maxminddb::{LookupResult, Reader, WithinOptions};
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::net::Ipv4Addr;
use std::sync::OnceLock;

/// Marks addresses the database does not place.
const NONE: [u8; 2] = [0, 0];

/// Marks a `/16` of more than one interval (codes are letters or zero, never this).
const MIXED: u16 = u16::MAX;

/// The IPv4 countries of one database: 256 blocks, each built on first use.
pub struct V4Countries {
    blocks: Box<[OnceLock<Block>]>,
}

/// The intervals of one `/8`, or `Direct` where the database has a shape the table does not
/// model (an IPv6 database without an IPv4 subtree), whose addresses are looked up one by one.
enum Block {
    Intervals {
        /// Interval starts, ascending; the first is the block's first address.
        starts: Box<[u32]>,
        /// The country of each interval, [`NONE`] where unknown.
        codes: Box<[[u8; 2]]>,
        /// For each `/16` of the block, the interval holding its first address, and one more
        /// entry for the block's last interval: a look-up searches only its `/16`'s intervals,
        /// one to three in most.
        by_16: Box<[u32; 257]>,
        /// The code of each `/16` that is all one country, else [`MIXED`]: most look-ups read
        /// only this 512-byte array.
        whole_16: Box<[u16; 256]>,
    },
    Direct,
}

impl Default for V4Countries {
    fn default() -> Self {
        V4Countries {
            blocks: (0..256).map(|_| OnceLock::new()).collect(),
        }
    }
}

impl V4Countries {
    /// The country of `addr` in `reader`, whose block is read out the first time. `code_of`
    /// gives the country of one record: it is called once per distinct record of a block.
    pub fn country(
        &self,
        reader: &Reader<Cow<'static, [u8]>>,
        addr: Ipv4Addr,
        code_of: impl Fn(&LookupResult<'_, Cow<'static, [u8]>>) -> Option<[u8; 2]>,
    ) -> Option<[u8; 2]> {
        let x = u32::from(addr);
        let block = self.blocks[(x >> 24) as usize]
            .get_or_init(|| Block::read(reader, (x >> 24) as u8, &code_of));
        let code = match block {
            Block::Intervals {
                starts,
                codes,
                by_16,
                whole_16,
            } => {
                let sub = ((x >> 16) & 0xff) as usize;
                if whole_16[sub] != MIXED {
                    whole_16[sub].to_le_bytes()
                } else {
                    let (first, last) = (by_16[sub] as usize, by_16[sub + 1] as usize);
                    // The interval holding `x` is one of first..=last: the last one starting at or
                    // before `x`.
                    codes[first + starts[first + 1..=last].partition_point(|&s| s <= x)]
                }
            }
            Block::Direct => code_of(&reader.lookup(addr.into()).ok()?).unwrap_or(NONE),
        };
        (code != NONE).then_some(code)
    }
}

impl Block {
    /// Reads the networks of block `first_octet` out of `reader` into intervals, joining
    /// neighbours of one country and filling gaps with [`NONE`].
    fn read(
        reader: &Reader<Cow<'static, [u8]>>,
        first_octet: u8,
        code_of: &impl Fn(&LookupResult<'_, Cow<'static, [u8]>>) -> Option<[u8; 2]>,
    ) -> Block {
        let block_start = u32::from(first_octet) << 24;
        let block_end = u64::from(block_start) + (1 << 24);
        let cidr = Ipv4Network::new(Ipv4Addr::from(block_start), 8).expect("a /8 is valid");
        let Ok(networks) = reader.within(IpNetwork::V4(cidr), WithinOptions::default()) else {
            return Block::Direct;
        };
        let mut starts = Vec::new();
        let mut codes: Vec<[u8; 2]> = Vec::new();
        let mut push = |start: u32, code: [u8; 2]| {
            if codes.last() != Some(&code) {
                starts.push(start);
                codes.push(code);
            }
        };
        // Records repeat (one per country in a country database): decode each once.
        let mut by_record: FxHashMap<usize, [u8; 2]> = FxHashMap::default();
        let mut covered = u64::from(block_start);
        for network in networks {
            let Ok(network) = network else {
                return Block::Direct;
            };
            let Ok(IpNetwork::V4(net)) = network.network() else {
                return Block::Direct;
            };
            // A network wider than the block (a sparse database) is clamped to it.
            let start = u64::from(u32::from(net.network())).max(covered);
            let end = (u64::from(u32::from(net.network())) + (1u64 << (32 - net.prefix())))
                .min(block_end);
            if start >= end {
                continue;
            }
            if start > covered {
                push(covered as u32, NONE);
            }
            let code = match network.offset() {
                Some(offset) => *by_record
                    .entry(offset)
                    .or_insert_with(|| code_of(&network).unwrap_or(NONE)),
                None => NONE,
            };
            push(start as u32, code);
            covered = end;
        }
        if covered < block_end {
            push(covered as u32, NONE);
        }
        let mut by_16 = Box::new([0u32; 257]);
        for (sub, entry) in by_16.iter_mut().enumerate().take(256) {
            let first_address = block_start + ((sub as u32) << 16);
            *entry = (starts.partition_point(|&s| s <= first_address) - 1) as u32;
        }
        by_16[256] = (starts.len() - 1) as u32;
        // A /16 whose interval reaches past its end is all one country.
        let mut whole_16 = Box::new([MIXED; 256]);
        for (sub, whole) in whole_16.iter_mut().enumerate() {
            let first = by_16[sub] as usize;
            let next_start = starts.get(first + 1).copied().map_or(u64::MAX, u64::from);
            if next_start >= u64::from(block_start) + ((sub as u64 + 1) << 16) {
                *whole = u16::from_le_bytes(codes[first]);
            }
        }
        Block::Intervals {
            starts: starts.into(),
            codes: codes.into(),
            by_16,
            whole_16,
        }
    }
}

#[cfg(test)]
impl V4Countries {
    /// The interval starts of block `first_octet`, empty while it is not read out.
    pub fn starts_of(&self, first_octet: u8) -> Vec<u32> {
        match self.blocks[usize::from(first_octet)].get() {
            Some(Block::Intervals { starts, .. }) => starts.to_vec(),
            _ => Vec::new(),
        }
    }
}
