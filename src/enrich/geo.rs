//! Countries of truncated client addresses, from a MaxMind-format database.
//!
//! The default database is built in: `geo-whois-asn-country` from the ip-location-db project
//! (see `data/README.md`), so a report has countries with no set-up. `--geoip-db` takes any
//! country or city database (GeoLite2, DB-IP). Look-ups only ever see the truncated prefix.
//! The answer for each IPv4 `/24` is kept once for all workers; each worker remembers other
//! answers per prefix.

mod slash24;

use crate::privacy::ip::IpPrefix;
use maxminddb::{Reader, WithinOptions};
use rustc_hash::FxHashMap;
use serde::Deserialize;
use slash24::Slash24Countries;
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Row key for addresses the database does not place, and for clients logged by host name.
pub const UNKNOWN_COUNTRY: &[u8] = b"(unknown)";

/// The built-in database (ip-location-db `geo-whois-asn-country`, 2026-06-17).
const BUILTIN_DB: &[u8] = include_bytes!("../../data/geoip/geo-whois-asn-country.mmdb");

/// Prefixes remembered per worker before the cache starts afresh.
const CACHE_LIMIT: usize = 1 << 16;

/// Why a database cannot be used; every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    #[error("cannot read GeoIP database {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a MaxMind DB file: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error(
        "{path} has no country data: its records carry neither `country_code` nor `country.iso_code` (an ASN database?)"
    )]
    NoCountries { path: PathBuf },
}

/// The fields that hold a country code: top-level `country_code` (ip-location-db) or
/// `country.iso_code` (GeoLite2, DB-IP).
#[derive(Deserialize)]
struct CountryRecord<'a> {
    #[serde(borrow)]
    country_code: Option<&'a str>,
    #[serde(borrow)]
    country: Option<IsoCode<'a>>,
}

#[derive(Deserialize)]
struct IsoCode<'a> {
    #[serde(borrow)]
    iso_code: Option<&'a str>,
}

/// An opened country database, shared by all workers.
pub struct GeoDb {
    reader: Reader<Cow<'static, [u8]>>,
    description: String,
    /// The answers for IPv4 `/24`s asked so far; made at the first.
    slash24: OnceLock<Slash24Countries>,
}

impl std::fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

impl GeoDb {
    /// The database compiled into the binary.
    pub fn builtin() -> Arc<GeoDb> {
        static BUILTIN: OnceLock<Arc<GeoDb>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                Arc::new(
                    GeoDb::from_bytes(
                        Cow::Borrowed(BUILTIN_DB),
                        Path::new("built-in geo-whois-asn-country"),
                    )
                    .expect("the built-in GeoIP database is valid"),
                )
            })
            .clone()
    }

    /// Opens a database file, checking that it is one and that it holds countries.
    pub fn open(path: &Path) -> Result<GeoDb, GeoError> {
        let bytes = std::fs::read(path).map_err(|source| GeoError::Read {
            path: path.to_owned(),
            source,
        })?;
        GeoDb::from_bytes(Cow::Owned(bytes), path)
    }

    fn from_bytes(bytes: Cow<'static, [u8]>, path: &Path) -> Result<GeoDb, GeoError> {
        let invalid = |e: maxminddb::MaxMindDbError| GeoError::Invalid {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        let reader = Reader::from_source(bytes).map_err(invalid)?;
        if !has_countries(&reader).map_err(invalid)? {
            return Err(GeoError::NoCountries {
                path: path.to_owned(),
            });
        }
        let meta = reader.metadata();
        let date = meta
            .build_time()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| crate::format::time::civil_from_days(d.as_secs() as i64 / 86_400));
        let name = path
            .file_name()
            .unwrap_or(path.as_os_str())
            .to_string_lossy();
        let description = match date {
            Some((y, m, d)) => format!("{name}, {} built {y:04}-{m:02}-{d:02}", meta.database_type),
            None => format!("{name}, {}", meta.database_type),
        };
        Ok(GeoDb {
            reader,
            description,
            slash24: OnceLock::new(),
        })
    }

    /// The database type and build date, for the report's settings.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The two-letter code of the country `addr` is in, upper case. Private, reserved and
    /// documentation addresses are in no country, whatever a database says about them.
    pub fn country(&self, addr: IpAddr) -> Option<[u8; 2]> {
        if !is_public(addr) {
            return None;
        }
        self.public_country(addr).0
    }

    /// The answers kept for IPv4 `/24`s.
    fn slash24s(&self) -> &Slash24Countries {
        self.slash24.get_or_init(Slash24Countries::new)
    }

    /// The answer for the IPv4 `/24` numbered `slash24` (its first address shifted right by
    /// 8) as a slot value of `Slash24Countries`, found or asked and kept; and whether the
    /// database was asked. The value is [`slash24::NOT_ASKED`] only when the table had no room
    /// to keep it.
    fn slash24_value(&self, slash24: u32) -> (u8, bool) {
        let table = self.slash24s();
        let value = table.value(slash24);
        if value != slash24::NOT_ASKED {
            return (value, false);
        }
        let addr = IpAddr::V4(Ipv4Addr::from(slash24 << 8));
        if !is_public(addr) {
            table.set(slash24, slash24::NO_COUNTRY);
            return (slash24::NO_COUNTRY, false);
        }
        let wide = table.wide_value(slash24 >> 8);
        if wide != slash24::NOT_ASKED {
            table.set(slash24, wide);
            return (wide, false);
        }
        let (code, network_len) = self.public_country(addr);
        let value = table.value_of(code);
        if value != slash24::NOT_ASKED {
            // A network of a /16 or wider answers for every public /24 of the /16.
            if network_len <= 16 {
                table.set_wide(slash24 >> 8, value);
            }
            table.set(slash24, value);
        }
        (value, true)
    }

    /// The country of a public `addr` and the prefix length of the database network it is in:
    /// every address of that network has the same answer.
    fn public_country(&self, addr: IpAddr) -> (Option<[u8; 2]>, u8) {
        let Ok(found) = self.reader.lookup(addr) else {
            return (None, u8::MAX);
        };
        let network_len = found.network().map_or(u8::MAX, |n| n.prefix());
        let code = found
            .decode::<CountryRecord<'_>>()
            .ok()
            .flatten()
            .and_then(|record| {
                record
                    .country_code
                    .or_else(|| record.country.and_then(|c| c.iso_code))
            })
            .and_then(|code| match code.as_bytes() {
                &[a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                    Some([a.to_ascii_uppercase(), b.to_ascii_uppercase()])
                }
                _ => None,
            });
        (code, network_len)
    }
}

/// False for addresses that name no place on the public internet: private, shared (CGNAT),
/// loopback, link-local, documentation, benchmarking, multicast and reserved ranges.
fn is_public(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_documentation()
                || v4.is_multicast()
                || v4.is_broadcast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || (a == 192 && b == 0 && c == 0))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || s[0] & 0xe000 != 0x2000)
        }
    }
}

/// True when the first records of the database carry a country code in either field.
fn has_countries(reader: &Reader<Cow<'static, [u8]>>) -> Result<bool, maxminddb::MaxMindDbError> {
    for network in reader.networks(WithinOptions::default())?.take(64) {
        let record: Option<CountryRecord<'_>> = network?.decode()?;
        if record.is_some_and(|r| {
            r.country_code.is_some() || r.country.is_some_and(|c| c.iso_code.is_some())
        }) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Slots of a worker's recent `/24` answers: 2^16 of 4 bytes, within a core's L2 cache.
///
/// perf: the shared table alone is 16 MiB of address space, and each look-up in it missed the
/// caches and the TLB; these slots answer most lines from L2.
const RECENT_BITS: u32 = 16;

/// A worker's recent `/24` answers, direct-mapped: each slot holds a `/24` number above its
/// slot value of `Slash24Countries`, or 0.
struct RecentSlash24s(Box<[u32]>);

impl RecentSlash24s {
    fn new() -> RecentSlash24s {
        RecentSlash24s(vec![0; 1 << RECENT_BITS].into_boxed_slice())
    }

    /// The slot of `/24` number `slash24`.
    #[inline]
    fn slot(slash24: u32) -> usize {
        (slash24.wrapping_mul(0x9E37_79B1) >> (32 - RECENT_BITS)) as usize
    }

    /// Starts loading the slot [`Self::country`] reads first for `slash24`.
    ///
    /// perf: the shared table's slot is not loaded ahead too: most lines find their answer
    /// here, and a load ahead into the shared table missed the TLB and held up the line before
    /// as long as the load it saved.
    #[inline]
    fn prefetch(&self, slash24: u32) {
        crate::prefetch::read(&self.0[Self::slot(slash24)]);
    }

    /// The slot value of `slash24`'s answer when its slot holds it.
    #[inline]
    fn held(&self, slash24: u32) -> Option<u8> {
        let entry = self.0[Self::slot(slash24)];
        let value = entry as u8;
        (value != slash24::NOT_ASKED && entry >> 8 == slash24).then_some(value)
    }

    /// True when the slot of `slash24` holds its answer.
    #[inline]
    fn holds(&self, slash24: u32) -> bool {
        self.held(slash24).is_some()
    }

    /// The country of `/24` number `slash24`, and whether `db` was asked.
    #[inline]
    fn country(&mut self, db: &GeoDb, slash24: u32) -> (Option<[u8; 2]>, bool) {
        let (value, asked_db) = match self.held(slash24) {
            Some(value) => (value, false),
            None => {
                let (value, asked_db) = db.slash24_value(slash24);
                if value == slash24::NOT_ASKED {
                    return (db.country(Ipv4Addr::from(slash24 << 8).into()), true);
                }
                self.0[Self::slot(slash24)] = (slash24 << 8) | u32::from(value);
                (value, asked_db)
            }
        };
        (db.slash24s().country(value), asked_db)
    }
}

/// Leading bits of the wide cache's keys: a database network this wide or wider answers for
/// every address under the key.
const WIDE_V4: u8 = 16;
const WIDE_V6: u8 = 32;

/// Per-worker country look-ups. IPv4 prefixes of `/24` or wider are answered from the
/// database's shared `Slash24Countries` table. Other prefixes (IPv6, longer IPv4 ones) have a
/// cache per truncated prefix, and one per `/16` (IPv4) or `/32` (IPv6) for answers the
/// database gives for a network that wide or wider.
///
/// perf: when these maps served IPv4 too, a fifth of a generated log's lines brought a prefix
/// the first map had not seen, and each walked the database tree (a cache miss or more) and
/// decoded its record; the second map answered a third of those (database look-ups 19% → 12%
/// of the lines).
pub struct CountryLookup {
    db: Option<Arc<GeoDb>>,
    recent: RecentSlash24s,
    cache: FxHashMap<IpPrefix, [u8; 2]>,
    wide: FxHashMap<IpAddr, [u8; 2]>,
    lookups: u64,
    misses: u64,
}

/// The `/24` number of an IPv4 prefix of `/24` or wider, which the shared table answers for;
/// `None` for IPv6 and for longer IPv4 prefixes.
#[inline]
fn slash24_of(prefix: IpPrefix) -> Option<u32> {
    match prefix.addr {
        IpAddr::V4(v4) if u32::from(v4) & 0xff == 0 => Some(u32::from(v4) >> 8),
        _ => None,
    }
}

/// `addr` cut to the wide cache's key (its family kept as it is: no IPv6 form is read as the
/// IPv4 address it may carry, so the two families never share a key).
fn wide_key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => IpAddr::V4((u32::from(v4) & (u32::MAX << (32 - WIDE_V4))).into()),
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & (u128::MAX << (128 - WIDE_V6))).into()),
    }
}

/// The code of `addr` (`[0, 0]` for none) from the `wide` cache or from `db`, and whether
/// `db` was asked.
fn uncached(db: &GeoDb, wide: &mut FxHashMap<IpAddr, [u8; 2]>, addr: IpAddr) -> ([u8; 2], bool) {
    if !is_public(addr) {
        return ([0, 0], false);
    }
    let key = wide_key(addr);
    if let Some(&code) = wide.get(&key) {
        return (code, false);
    }
    let (code, network_len) = db.public_country(addr);
    let code = code.unwrap_or([0, 0]);
    let wide_len = if addr.is_ipv4() { WIDE_V4 } else { WIDE_V6 };
    if network_len <= wide_len {
        if wide.len() >= CACHE_LIMIT {
            wide.clear();
        }
        wide.insert(key, code);
    }
    (code, true)
}

impl CountryLookup {
    /// Looks up in `db`; with `None`, every client is [`UNKNOWN_COUNTRY`].
    pub fn new(db: Option<Arc<GeoDb>>) -> CountryLookup {
        CountryLookup {
            db,
            recent: RecentSlash24s::new(),
            cache: FxHashMap::default(),
            wide: FxHashMap::default(),
            lookups: 0,
            misses: 0,
        }
    }

    /// The country code of `prefix`, or `None` when unknown. `[0, 0]` marks a cached miss.
    pub fn country(&mut self, prefix: IpPrefix) -> Option<[u8; 2]> {
        let db = self.db.as_deref()?;
        self.lookups += 1;
        if let Some(slash24) = slash24_of(prefix) {
            let (code, asked_db) = self.recent.country(db, slash24);
            self.misses += u64::from(asked_db);
            return code;
        }
        let code = match self.cache.get(&prefix) {
            Some(&code) => code,
            None => {
                if self.cache.len() >= CACHE_LIMIT {
                    self.cache.clear();
                }
                let (code, asked_db) = uncached(db, &mut self.wide, prefix.addr);
                self.misses += u64::from(asked_db);
                self.cache.insert(prefix, code);
                code
            }
        };
        (code != [0, 0]).then_some(code)
    }

    /// Starts loading what [`Self::country`] will read first for `prefix`.
    #[inline]
    pub fn prefetch(&self, prefix: IpPrefix) {
        if self.db.is_some()
            && let Some(slash24) = slash24_of(prefix)
        {
            self.recent.prefetch(slash24);
        }
    }

    /// Starts loading the shared table's answer for `prefix` when the recent slot, loaded
    /// ahead by [`Self::prefetch`] a line before, does not hold it.
    ///
    /// perf: a sixth of a generated log's lines find their `/24` in no recent slot, and their
    /// load from the 16 MiB shared table missed the caches and the TLB (a quarter of the
    /// privacy step's samples). Loaded ahead on every line, that table's TLB walks cost as
    /// much as they saved; loaded for those lines alone, a line ahead, they overlap the line
    /// before.
    #[inline]
    pub fn prefetch_shared(&self, prefix: IpPrefix) {
        if let Some(db) = self.db.as_deref()
            && let Some(slash24) = slash24_of(prefix)
            && !self.recent.holds(slash24)
        {
            db.slash24s().prefetch(slash24);
        }
    }

    /// Look-ups made and how many of them went to the database.
    pub fn cache_counts(&self) -> (u64, u64) {
        (self.lookups, self.misses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in database with no answers kept yet: [`GeoDb::builtin`] is shared by every
    /// test in the process.
    fn fresh_builtin() -> Arc<GeoDb> {
        Arc::new(GeoDb::from_bytes(Cow::Borrowed(BUILTIN_DB), Path::new("built-in")).unwrap())
    }

    #[test]
    fn the_builtin_database_places_well_known_stable_allocations() {
        let db = GeoDb::builtin();
        for (addr, code) in [
            ("8.8.8.0", b"US"),        // Google, ARIN
            ("193.0.6.0", b"NL"),      // RIPE NCC's own network, Amsterdam
            ("202.12.29.0", b"AU"),    // APNIC, Brisbane
            ("2001:67c:2e8::", b"NL"), // RIPE NCC
        ] {
            assert_eq!(db.country(addr.parse().unwrap()), Some(*code), "{addr}");
        }
        for private in [
            "10.0.0.0",
            "192.168.1.0",
            "100.64.0.0",
            "203.0.113.0",
            "2001:db8::",
        ] {
            assert_eq!(db.country(private.parse().unwrap()), None, "{private}");
        }
        assert!(db.description().contains("20"), "{}", db.description());
    }

    #[test]
    fn cached_answers_are_the_database_answers() {
        // Every /24 of a few /16s, some with reserved /24s inside (192.0.0.0/24 and the
        // documentation 198.51.100.0/24 sit in otherwise public /16s), and IPv6 /48s.
        let db = GeoDb::builtin();
        let mut geo = CountryLookup::new(Some(fresh_builtin()));
        let mut rng = fastrand::Rng::with_seed(5);
        let mut addrs: Vec<IpAddr> = Vec::new();
        for (a, b) in [
            (8, 8),
            (192, 0),
            (198, 51),
            (81, 2),
            (41, 0),
            (203, 0),
            (100, 64),
        ] {
            addrs.extend((0..=255u8).map(|c| IpAddr::from([a, b, c, 0])));
        }
        addrs.extend((0..3000).map(|_| IpAddr::from(rng.u32(..).to_be_bytes())));
        addrs.extend((0..2000).map(|_| {
            IpAddr::from(std::net::Ipv6Addr::from(
                (u128::from(rng.u16(0x2000..0x2c00)) << 112) | u128::from(rng.u64(..)) << 48,
            ))
        }));
        let mut seen = 0;
        // /24s and /16s go to the shared table, /32s and IPv6 prefixes to the worker's caches.
        for (v4_len, v6_len) in [(24, 48), (16, 32), (32, 64)] {
            for round in 0..2 {
                for &addr in &addrs {
                    let prefix = crate::privacy::ip::truncate(addr, v4_len, v6_len);
                    let want = db.country(prefix.addr);
                    assert_eq!(geo.country(prefix), want, "{prefix:?} round {round}");
                    seen += u64::from(want.is_some());
                }
            }
        }
        assert!(seen > 3000, "{seen}");
        // The wide cache answered for some prefixes the first cache had not seen.
        let (lookups, misses) = geo.cache_counts();
        assert!(misses < lookups / 2 && misses > 0, "{misses} of {lookups}");
        assert!(!geo.wide.is_empty());
    }

    #[test]
    fn an_answer_for_a_slash16_or_wider_holds_for_every_slash24_of_it() {
        let db = fresh_builtin();
        let mut geo = CountryLookup::new(Some(db.clone()));
        // The database holds 8.8/16 and 41.0/16 in wider networks, 81.2/16 in narrower ones.
        for (a, b, most_asked) in [(8, 8, 1), (41, 0, 1), (81, 2, 256)] {
            let before = geo.cache_counts().1;
            for c in 0..=255u8 {
                let prefix = crate::privacy::ip::truncate(IpAddr::from([a, b, c, 9]), 24, 48);
                assert_eq!(geo.country(prefix), GeoDb::builtin().country(prefix.addr));
            }
            let asked = geo.cache_counts().1 - before;
            assert!(
                (1..=most_asked).contains(&asked),
                "{a}.{b}: the database was asked {asked} times"
            );
            // Nothing was answered outside the /16.
            let table = db.slash24.get().unwrap();
            let slash16 = (u32::from(a) << 16) | (u32::from(b) << 8);
            assert_eq!(table.get(slash16 - 1), None);
            assert_eq!(table.get(slash16 + 256), None);
        }
    }

    #[test]
    fn lookups_are_cached_per_prefix() {
        let mut geo = CountryLookup::new(Some(fresh_builtin()));
        let prefix = crate::privacy::ip::truncate("8.8.8.8".parse().unwrap(), 24, 48);
        assert_eq!(geo.country(prefix), Some(*b"US"));
        assert_eq!(geo.country(prefix), Some(*b"US"));
        assert_eq!(geo.cache_counts(), (2, 1));
        assert_eq!(CountryLookup::new(None).country(prefix), None);
    }

    /// The shared table is loaded ahead only for `/24`s the recent slots do not hold: those
    /// that were never asked, or whose slot another `/24` took since.
    #[test]
    fn recent_slots_say_which_slash24s_they_hold() {
        let mut geo = CountryLookup::new(Some(fresh_builtin()));
        let slash24 = |a: &str| u32::from(a.parse::<Ipv4Addr>().unwrap()) >> 8;
        let (google, other) = (slash24("8.8.8.0"), slash24("9.9.9.0"));
        assert!(!geo.recent.holds(google));
        let prefix = crate::privacy::ip::truncate("8.8.8.8".parse().unwrap(), 24, 48);
        geo.country(prefix);
        assert!(geo.recent.holds(google) && !geo.recent.holds(other));
        // A /24 whose slot is the same one takes it over.
        let rival = (0..1 << 24)
            .find(|&s| s != google && RecentSlash24s::slot(s) == RecentSlash24s::slot(google))
            .unwrap();
        let rival_prefix = crate::privacy::ip::truncate(Ipv4Addr::from(rival << 8).into(), 24, 48);
        geo.country(rival_prefix);
        assert!(geo.recent.holds(rival) && !geo.recent.holds(google));
    }

    #[test]
    fn a_file_that_is_not_a_database_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("not-a-db.mmdb");
        std::fs::write(&path, b"hello").unwrap();
        let err = GeoDb::open(&path).unwrap_err().to_string();
        assert!(err.contains("not-a-db.mmdb"), "{err}");
        let err = GeoDb::open(&dir.path().join("missing.mmdb"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing.mmdb"), "{err}");
    }
}
