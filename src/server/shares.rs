//! Each client's share of what the server holds for clients. A shared mock
//! serves several teams, and one of them holding thousands of connections
//! (idle, or opened again as fast as they are closed) must not lock the others
//! out: connections are counted per client, and past its share a client's new
//! connection is refused while other clients are still served.
//!
//! A client is its address: an IPv4 address, or the /64 network of an IPv6
//! address (one host may own a whole /64, and so as many addresses as it
//! likes). Clients behind one proxy or NAT share one address, and so one share.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};

/// A client, as far as shares go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Client(IpAddr);

impl Client {
    /// The client at `addr`: an IPv4 address (also written as IPv6), or an
    /// IPv6 address's /64 network.
    pub fn of(addr: IpAddr) -> Client {
        match addr {
            IpAddr::V4(v4) => Client(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Client(IpAddr::V4(v4)),
                None => {
                    let mut segments = v6.segments();
                    segments[4..].fill(0);
                    Client(IpAddr::V6(Ipv6Addr::from(segments)))
                }
            },
        }
    }
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// How many of something each client holds, and how many it may.
#[derive(Debug)]
pub struct Shares {
    each: usize,
    held: Mutex<HashMap<Client, usize>>,
}

/// One unit of a client's share, given back when dropped.
#[derive(Debug)]
pub struct Share {
    shares: Arc<Shares>,
    client: Client,
}

impl Shares {
    /// Shares of `each` a client.
    pub fn new(each: usize) -> Arc<Shares> {
        Arc::new(Shares { each, held: Mutex::new(HashMap::new()) })
    }

    /// One more for `client`, or `None` when it holds its whole share.
    pub fn take(self: &Arc<Shares>, client: Client) -> Option<Share> {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let count = held.entry(client).or_insert(0);
        if *count >= self.each {
            return None;
        }
        *count += 1;
        Some(Share { shares: Arc::clone(self), client })
    }

    /// How many `client` holds now.
    pub fn held_by(&self, client: Client) -> usize {
        self.held.lock().unwrap_or_else(PoisonError::into_inner).get(&client).copied().unwrap_or(0)
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        let mut held = self.shares.held.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = held.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                // Only clients holding something are kept: the map stays as
                // small as what is held.
                held.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(addr: &str) -> Client {
        Client::of(addr.parse().unwrap())
    }

    #[test]
    fn a_client_is_an_ipv4_address_or_an_ipv6_network() {
        assert_eq!(client("127.0.0.2"), client("::ffff:127.0.0.2"));
        assert_ne!(client("127.0.0.2"), client("127.0.0.1"));
        assert_eq!(client("2001:db8:1:2:aaaa::1"), client("2001:db8:1:2:bbbb::2"), "one /64");
        assert_ne!(client("2001:db8:1:2::1"), client("2001:db8:1:3::1"));
        assert_eq!(client("2001:db8:1:2:aaaa::1").to_string(), "2001:db8:1:2::/64");
        assert_eq!(client("::1").to_string(), "::/64");
        assert_eq!(client("10.0.0.7").to_string(), "10.0.0.7");
    }

    #[test]
    fn each_client_holds_at_most_its_share_and_gets_it_back() {
        let shares = Shares::new(2);
        let (noisy, honest) = (client("127.0.0.2"), client("127.0.0.1"));
        let held: Vec<Share> = (0..2).map(|_| shares.take(noisy).expect("within its share")).collect();
        assert!(shares.take(noisy).is_none(), "past its share");
        let other = shares.take(honest).expect("another client is not held back");
        assert_eq!((shares.held_by(noisy), shares.held_by(honest)), (2, 1));
        drop(held);
        drop(other);
        assert_eq!(shares.held.lock().unwrap().len(), 0, "nothing is kept of clients that hold nothing");
        assert!(shares.take(noisy).is_some());
    }
}
