//! Workstation addresses as a DHCP server leases them (`--export hr`).
//!
//! In the clean export a workstation keeps one address for ever. In a real
//! hospital a unit's workstation gets a new lease now and then, so the
//! address in the access log moves within the unit's /24 from day to day,
//! while the workstation id stays. VPN devices (the 172.16.x pool) get an
//! address at every login. Rules that key on an IP address as if it
//! were a device break on this; ones that key on the workstation id do not.
//!
//! Invariants: a unit workstation's address is a function of (seed,
//! workstation, day) and stays in its clean /24; on one day no two
//! workstations of a subnet share an address (the day's assignment is a
//! permutation of the subnet's hosts); a VPN address is a function of
//! (seed, workstation, day, login count that day). Addresses outside both
//! pools (an attacker's laptop) do not change.

use super::care::mix;
use super::event::Action;

/// Hosts leased in a unit subnet: `.10` to `.249`.
const HOSTS: u32 = 240;
/// Multipliers coprime to [`HOSTS`], so `x -> (x + off) * m mod HOSTS` is a
/// permutation.
const COPRIME: [u32; 8] = [7, 11, 13, 17, 19, 23, 29, 31];

#[derive(Debug, Clone)]
enum Lease {
    /// The address for the whole day (unit workstation or fixed address).
    Day(String),
    /// A VPN device: a new address at every login.
    Roaming,
}

/// Every workstation's lease on one day.
#[derive(Debug, Clone)]
pub struct Leases {
    seed: u64,
    day: u32,
    leases: Vec<Lease>,
}

fn octets(ip: &str) -> Option<[u32; 4]> {
    let mut out = [0u32; 4];
    let mut it = ip.split('.');
    for o in out.iter_mut() {
        *o = it.next()?.parse().ok()?;
    }
    it.next().is_none().then_some(out)
}

impl Leases {
    /// The leases on simulated day `day` of the workstations whose clean
    /// addresses are `ws_ips`.
    pub fn for_day(ws_ips: &[String], seed: u64, day: u32) -> Leases {
        let leases = ws_ips
            .iter()
            .map(|ip| match octets(ip) {
                Some([10, b, c, d]) if (10..10 + HOSTS).contains(&d) => {
                    let h = mix(seed, 0xD4C9_0000 ^ ((b << 8) | c) as u64, day as u64);
                    let m = COPRIME[(h % COPRIME.len() as u64) as usize];
                    let off = ((h >> 16) % HOSTS as u64) as u32;
                    let host = 10 + ((d - 10 + off) * m) % HOSTS;
                    Lease::Day(format!("10.{b}.{c}.{host}"))
                }
                Some([172, 16, _, _]) => Lease::Roaming,
                _ => Lease::Day(ip.clone()),
            })
            .collect();
        Leases { seed, day, leases }
    }

    /// A fresh session tracker for formatting the day's rows in order.
    pub fn sessions(&self) -> Sessions<'_> {
        Sessions { leases: self, current: vec![None; self.leases.len()], logins: vec![0; self.leases.len()] }
    }
}

/// The address of each row, following VPN logins through one day's rows
/// (which must be visited in time order).
#[derive(Debug)]
pub struct Sessions<'a> {
    leases: &'a Leases,
    current: Vec<Option<String>>,
    logins: Vec<u32>,
}

impl Sessions<'_> {
    /// The address of workstation `ws` for a row with `action`; a login on
    /// a VPN device starts a new session with a new address.
    pub fn ip(&mut self, ws: u32, action: Action) -> &str {
        let w = ws as usize;
        match self.leases.leases.get(w) {
            Some(Lease::Day(ip)) => ip,
            Some(Lease::Roaming) => {
                if action == Action::Login || self.current[w].is_none() {
                    self.logins[w] += 1;
                    let l = self.leases;
                    let h = mix(l.seed, 0x7E5_0000 + ws as u64, ((l.day as u64) << 20) | self.logins[w] as u64);
                    self.current[w] = Some(format!("172.16.{}.{}", h % 64, 2 + (h >> 8) % 248));
                }
                self.current[w].as_deref().unwrap_or("")
            }
            None => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips() -> Vec<String> {
        let mut v: Vec<String> = (0..60).map(|j| format!("10.21.0.{}", 10 + j)).collect();
        v.push("172.16.3.40".into());
        v.push("185.100.2.3".into());
        v
    }

    #[test]
    fn unit_addresses_move_daily_within_the_subnet_without_collisions() {
        let ws = ips();
        let mut seen_w0 = std::collections::BTreeSet::new();
        for day in 0..10 {
            let l = Leases::for_day(&ws, 42, day);
            let mut s = l.sessions();
            let today: Vec<String> = (0..60).map(|w| s.ip(w, Action::View).to_string()).collect();
            assert!(today.iter().all(|ip| ip.starts_with("10.21.0.")));
            let mut uniq = today.clone();
            uniq.sort();
            uniq.dedup();
            assert_eq!(uniq.len(), 60, "two workstations share an address on day {day}");
            seen_w0.insert(today[0].clone());
            assert_eq!(s.ip(61, Action::View), "185.100.2.3");
            assert_eq!(Leases::for_day(&ws, 42, day).sessions().ip(5, Action::View), today[5]);
        }
        assert!(seen_w0.len() >= 5, "{seen_w0:?}");
    }

    #[test]
    fn vpn_address_changes_at_login_only() {
        let ws = ips();
        let l = Leases::for_day(&ws, 1, 3);
        let mut s = l.sessions();
        let a = s.ip(60, Action::Login).to_string();
        assert_eq!(s.ip(60, Action::View), a);
        let b = s.ip(60, Action::Login).to_string();
        let c = s.ip(60, Action::Login).to_string();
        assert!(a != b || b != c, "three logins, one address");
        assert!(a.starts_with("172.16."));
    }
}
