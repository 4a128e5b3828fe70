//! Networks of IP addresses: what "the same place on the network" means
//! when addresses are leased.
//!
//! Hospitals lease workstation addresses by DHCP, so a unit's desktop has
//! a new address every day or so, within its unit's subnet; VPN and laptop
//! addresses change more often still. Device logic ("a device this account
//! never used", "a device no one in the hospital used") therefore compares
//! networks, not addresses: an IPv4 address's /24 (`10.21.4.0/24`), an
//! IPv6 address's /64. Anything else (a hostname, a malformed value) is
//! its own network.

use std::net::IpAddr;

use super::dictionary::{Code, Dictionary, FxHashMap};

/// The network an address belongs to, as text.
pub fn network_of(ip: &str) -> String {
    match ip.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) => {
            let o = a.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        Ok(IpAddr::V6(a)) => {
            let s = a.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Err(_) => ip.trim().to_string(),
    }
}

/// For each IP address code of `ips`, a dense network code: addresses of
/// one network share it. Codes follow the addresses' code order, so they
/// are the same however the run is partitioned.
pub fn network_codes(ips: &Dictionary) -> Vec<Code> {
    let mut index: FxHashMap<String, Code> = FxHashMap::default();
    (0..ips.len() as Code)
        .map(|c| {
            let next = index.len() as Code;
            *index.entry(network_of(ips.name(c))).or_insert(next)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leased_addresses_of_one_subnet_are_one_network() {
        assert_eq!(network_of("10.21.4.17"), network_of("10.21.4.203"));
        assert_ne!(network_of("10.21.4.17"), network_of("10.21.5.17"));
        assert_eq!(network_of("2001:db8:1:2::17"), network_of("2001:db8:1:2:ffff::1"));
        assert_eq!(network_of(" WS-HOST "), "WS-HOST");
    }
}
