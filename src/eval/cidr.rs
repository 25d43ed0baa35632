//! The network address functions (`cidrhost`, `cidrnetmask`, `cidrsubnet`, `cidrsubnets`)
//! for IPv4 and IPv6, with the arithmetic of Terraform's go-cidr: addresses as 128-bit
//! integers, IPv4 in the low 32 bits.

use std::net::{Ipv4Addr, Ipv6Addr};

/// A parsed `ADDRESS/PREFIX`.
#[derive(Debug, Clone, Copy)]
struct Cidr {
    addr: u128,
    prefix: u32,
    /// 32 for IPv4, 128 for IPv6.
    bits: u32,
}

impl Cidr {
    fn parse(s: &str) -> Result<Cidr, String> {
        let (ip, len) = s
            .split_once('/')
            .ok_or_else(|| format!("invalid CIDR address {s:?}: missing prefix length"))?;
        let (addr, bits) = match parse_ipv4(ip) {
            Some(a) => (u128::from(a), 32),
            None => (
                u128::from(
                    ip.parse::<Ipv6Addr>()
                        .map_err(|_| format!("invalid CIDR address {s:?}"))?,
                ),
                128,
            ),
        };
        let prefix: u32 = len
            .parse()
            .ok()
            .filter(|l| *l <= bits)
            .ok_or_else(|| format!("invalid prefix length in {s:?}"))?;
        Ok(Cidr { addr, prefix, bits })
    }

    fn mask(&self, prefix: u32) -> u128 {
        let all = if self.bits == 128 {
            u128::MAX
        } else {
            (1u128 << 32) - 1
        };
        all & !all.checked_shr(prefix).unwrap_or(0)
    }

    fn network(&self) -> u128 {
        self.addr & self.mask(self.prefix)
    }

    fn last(&self) -> u128 {
        self.network() | (!self.mask(self.prefix) & self.all())
    }

    fn all(&self) -> u128 {
        if self.bits == 128 {
            u128::MAX
        } else {
            (1u128 << 32) - 1
        }
    }

    fn show_addr(&self, a: u128) -> String {
        if self.bits == 32 {
            Ipv4Addr::from(a as u32).to_string()
        } else {
            Ipv6Addr::from(a).to_string()
        }
    }

    fn show(&self) -> String {
        format!("{}/{}", self.show_addr(self.network()), self.prefix)
    }

    fn subnet(&self, newbits: i64, netnum: i64) -> Result<Cidr, String> {
        let new_prefix = self.prefix as i64 + newbits;
        if newbits < 0 || new_prefix > self.bits as i64 {
            return Err(format!(
                "insufficient address space to extend prefix of {} by {newbits}",
                self.prefix
            ));
        }
        let limit = 1u128.checked_shl(newbits as u32).unwrap_or(u128::MAX);
        if netnum < 0 || (netnum as u128) >= limit {
            return Err(format!(
                "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
            ));
        }
        let shift = self.bits - new_prefix as u32;
        let shifted = (netnum as u128).checked_shl(shift).unwrap_or(0);
        Ok(Cidr {
            addr: self.network() | shifted,
            prefix: new_prefix as u32,
            bits: self.bits,
        })
    }
}

/// Dotted IPv4 with each part read as decimal, leading zeros included (as Go's parser that
/// Terraform uses did: "010.001.0.0" is 10.1.0.0).
fn parse_ipv4(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut out = 0u32;
    for p in parts {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u32 = p.parse().ok()?;
        if n > 255 {
            return None;
        }
        out = out << 8 | n;
    }
    Some(out)
}

pub fn cidrhost(prefix: &str, host: i64) -> Result<String, String> {
    let c = Cidr::parse(prefix)?;
    let host_bits = c.bits - c.prefix;
    let size = 1u128.checked_shl(host_bits);
    let offset: u128 = if host >= 0 {
        let h = host as u128;
        if size.is_some_and(|s| h >= s) {
            return Err(format!(
                "prefix of {} does not accommodate a host numbered {host}",
                c.prefix
            ));
        }
        h
    } else {
        let back = host.unsigned_abs() as u128;
        match size {
            Some(s) if back > s => {
                return Err(format!(
                    "prefix of {} does not accommodate a host numbered {host}",
                    c.prefix
                ))
            }
            Some(s) => s - back,
            None => u128::MAX - (back - 1),
        }
    };
    Ok(c.show_addr(c.network().wrapping_add(offset) & c.all()))
}

pub fn cidrnetmask(prefix: &str) -> Result<String, String> {
    let c = Cidr::parse(prefix)?;
    if c.bits != 32 {
        return Err("only IPv4 networks have a netmask".into());
    }
    Ok(c.show_addr(c.mask(c.prefix)))
}

pub fn cidrsubnet(prefix: &str, newbits: i64, netnum: i64) -> Result<String, String> {
    Ok(Cidr::parse(prefix)?.subnet(newbits, netnum)?.show())
}

/// Consecutive subnets of the given sizes, each starting after the previous one, aligned.
pub fn cidrsubnets(prefix: &str, newbits: &[i64]) -> Result<Vec<String>, String> {
    let network = Cidr::parse(prefix)?;
    let Some((&first, rest)) = newbits.split_first() else {
        return Ok(Vec::new());
    };
    let mut current = network.subnet(first, 0)?;
    let mut out = vec![current.show()];
    for &length in rest {
        let new_prefix = network.prefix as i64 + length;
        if length < 1 || new_prefix > network.bits as i64 {
            return Err(format!(
                "would extend prefix to {new_prefix} bits, which is too long for an IPv{} address",
                if network.bits == 32 { 4 } else { 6 }
            ));
        }
        let widened = Cidr {
            addr: current.last(),
            prefix: new_prefix as u32,
            bits: network.bits,
        };
        let after = widened.last().wrapping_add(1) & network.all();
        let next = Cidr {
            addr: after,
            prefix: new_prefix as u32,
            bits: network.bits,
        };
        if after == 0 || next.network() & network.mask(network.prefix) != network.network() {
            return Err(format!(
                "not enough remaining address space for a subnet with a prefix of {new_prefix} bits after {}",
                current.show()
            ));
        }
        current = next;
        out.push(current.show());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_and_ipv6() {
        assert_eq!(cidrsubnet("10.0.0.0/16", 8, 2).unwrap(), "10.0.2.0/24");
        assert_eq!(
            cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162).unwrap(),
            "fd00:fd12:3456:7800:a200::/72"
        );
        assert_eq!(cidrhost("10.12.112.0/20", 268).unwrap(), "10.12.113.12");
        assert_eq!(cidrhost("10.12.112.0/20", -1).unwrap(), "10.12.127.255");
        assert_eq!(
            cidrhost("fd00:fd12:3456:7890:00a2::/72", 34).unwrap(),
            "fd00:fd12:3456:7890::22"
        );
        assert_eq!(cidrhost("010.001.0.0/16", 1).unwrap(), "10.1.0.1");
        assert_eq!(cidrnetmask("172.16.0.0/12").unwrap(), "255.240.0.0");
        assert_eq!(
            cidrsubnets("10.1.0.0/16", &[4, 4, 8, 4]).unwrap(),
            [
                "10.1.0.0/20",
                "10.1.16.0/20",
                "10.1.32.0/24",
                "10.1.48.0/20"
            ]
        );
    }
}
