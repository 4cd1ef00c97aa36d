//! `--client-from xff`: for sites behind a proxy or load balancer, the client is the rightmost
//! X-Forwarded-For hop that is not one of the trusted proxies.
//!
//! The header is only believed when the peer that sent the request is itself trusted; otherwise
//! anyone could claim any address.

use super::ip::parse_ip;
use ipnet::IpNet;
use std::net::IpAddr;

/// Where the client address comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ClientSource {
    /// The address that connected (`%h`, `$remote_addr`).
    #[default]
    Remote,
    /// The rightmost untrusted X-Forwarded-For hop, when the connecting peer is trusted.
    ForwardedFor { trusted: Vec<IpNet> },
}

/// Loopback, private and link-local ranges: trusted proxies when none are given.
pub fn default_trusted() -> Vec<IpNet> {
    [
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    ]
    .iter()
    .map(|n| n.parse().expect("valid network"))
    .collect()
}

fn is_trusted(trusted: &[IpNet], addr: IpAddr) -> bool {
    trusted.iter().any(|net| net.contains(&addr))
}

impl ClientSource {
    /// The client field to use for a line whose peer is `remote` and whose X-Forwarded-For
    /// header is `forwarded_for`.
    pub fn client<'a>(&self, remote: &'a [u8], forwarded_for: &'a [u8]) -> &'a [u8] {
        let ClientSource::ForwardedFor { trusted } = self else {
            return remote;
        };
        match parse_ip(remote) {
            Some(peer) if is_trusted(trusted, peer) => {}
            _ => return remote,
        }
        let mut leftmost = None;
        for hop in forwarded_for.rsplit(|&b| b == b',') {
            let hop = hop.trim_ascii();
            let Some(addr) = parse_ip(hop) else { continue };
            if !is_trusted(trusted, addr) {
                return hop;
            }
            leftmost = Some(hop);
        }
        leftmost.unwrap_or(remote)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff() -> ClientSource {
        ClientSource::ForwardedFor {
            trusted: default_trusted(),
        }
    }

    #[test]
    fn rightmost_untrusted_hop_is_the_client() {
        assert_eq!(xff().client(b"10.0.0.5", b"203.0.113.9"), b"203.0.113.9");
        // A spoofed first hop, then the real client, then an internal proxy.
        assert_eq!(
            xff().client(b"10.0.0.5", b"1.1.1.1, 203.0.113.9, 10.0.0.7"),
            b"203.0.113.9"
        );
        assert_eq!(
            xff().client(b"10.0.0.5", b"unknown, 2001:db8::5"),
            b"2001:db8::5"
        );
    }

    #[test]
    fn the_header_is_ignored_unless_the_peer_is_trusted() {
        assert_eq!(
            xff().client(b"198.51.100.1", b"203.0.113.9"),
            b"198.51.100.1"
        );
        assert_eq!(
            ClientSource::Remote.client(b"10.0.0.5", b"203.0.113.9"),
            b"10.0.0.5"
        );
    }

    #[test]
    fn all_trusted_or_empty_falls_back() {
        assert_eq!(
            xff().client(b"10.0.0.5", b"192.168.1.2, 10.0.0.7"),
            b"192.168.1.2"
        );
        assert_eq!(xff().client(b"10.0.0.5", b""), b"10.0.0.5");
        assert_eq!(xff().client(b"10.0.0.5", b"-"), b"10.0.0.5");
        let only = ClientSource::ForwardedFor {
            trusted: vec!["198.51.100.0/24".parse().unwrap()],
        };
        assert_eq!(only.client(b"198.51.100.1", b"10.0.0.9"), b"10.0.0.9");
    }
}
