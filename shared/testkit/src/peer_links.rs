//! [`PeerLinks`]: one in-test TCP proxy per directed link between coordinator nodes, so that a
//! test can cut a node off from its peers (a network partition) and heal it again.
//!
//! A proxy only sees a connection arrive, not who opened it, so each link gets its own proxy and
//! each node must dial its peers through its own links: node 1's config lists node 2 at the
//! address of link 1→2, node 3's lists it at link 3→2. This works because raft keeps each node's
//! member addresses from its own first log entry: every member initializes the cluster with its
//! config's members, the entry has the same log id everywhere (so raft never replaces it), and
//! the addresses in it stay each node's own. (A node that installs a snapshot from the leader
//! takes the leader's addresses with it; that only happens to a node that fell more than
//! `keep_logs` entries behind.)
//!
//! A cut link moves no bytes either way: open connections stall and new ones wait, as across a
//! real partition, so callers run into their own timeouts rather than quick refusals. Healing
//! delivers what was held up (late, as a real network may) and carries on. A link whose target
//! refuses connections (a killed node) closes the connection that found out and then stops
//! listening until the target listens again, so callers are refused as the node would refuse
//! them (a coordinator treats a refused forward as surely not applied, a broken one as unknown).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// The proxy of one directed link, `from` → `to` (node indices).
struct Link {
    from: usize,
    to: usize,
    listen: SocketAddr,
    up: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Every directed link between `nodes` nodes, each a proxy to the peer listener of its target.
pub struct PeerLinks {
    links: Vec<Link>,
}

impl PeerLinks {
    /// Starts a proxy for every ordered pair of distinct nodes; `targets[i]` is node i's real peer
    /// listener. Must run inside a tokio runtime; the proxies stop when this is dropped.
    pub async fn start(targets: &[SocketAddr]) -> Self {
        let mut links = Vec::new();
        for (from, _) in targets.iter().enumerate() {
            for (to, &target) in targets.iter().enumerate().filter(|(to, _)| *to != from) {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a link proxy");
                let listen = listener.local_addr().expect("the link proxy's address");
                let (up, up_rx) = watch::channel(true);
                let task = tokio::spawn(accept(listener, target, up_rx));
                links.push(Link { from, to, listen, up, task });
            }
        }
        PeerLinks { links }
    }

    /// The address node `from` dials to reach node `to`.
    pub fn address(&self, from: usize, to: usize) -> SocketAddr {
        self.link(from, to).listen
    }

    /// Cuts every link into and out of `node`: it can reach no peer and no peer can reach it.
    pub fn isolate(&self, node: usize) {
        for link in self.links.iter().filter(|link| link.from == node || link.to == node) {
            link.up.send_replace(false);
        }
    }

    /// Cuts the one link `from` → `to` (the other direction keeps working).
    pub fn cut(&self, from: usize, to: usize) {
        self.link(from, to).up.send_replace(false);
    }

    /// Restores every link.
    pub fn heal(&self) {
        for link in &self.links {
            link.up.send_replace(true);
        }
    }

    fn link(&self, from: usize, to: usize) -> &Link {
        self.links
            .iter()
            .find(|link| link.from == from && link.to == to)
            .unwrap_or_else(|| panic!("no link {from} -> {to}"))
    }
}

impl Drop for PeerLinks {
    fn drop(&mut self) {
        for link in &self.links {
            link.task.abort();
        }
    }
}

/// How a relayed connection ended.
#[derive(Debug, PartialEq, Eq)]
enum Relayed {
    Closed,
    /// The target refused the connection.
    TargetDown,
}

/// Accepts connections and relays each to `target`; the relays end with this task. While the
/// target refuses connections, so does the link.
async fn accept(mut listener: TcpListener, target: SocketAddr, up: watch::Receiver<bool>) {
    let listen = listener.local_addr().expect("the link proxy's address");
    let mut relays = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((inbound, _)) = accepted {
                    relays.spawn(relay(inbound, target, up.clone()));
                }
            }
            Some(relayed) = relays.join_next(), if !relays.is_empty() => {
                if matches!(relayed, Ok(Relayed::TargetDown)) {
                    drop(listener);
                    listener = listen_again(listen, target).await;
                }
            }
        }
    }
}

/// Waits until `target` accepts connections, then listens on `listen` again.
async fn listen_again(listen: SocketAddr, target: SocketAddr) -> TcpListener {
    while TcpStream::connect(target).await.is_err() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    loop {
        match TcpListener::bind(listen).await {
            Ok(listener) => return listener,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

async fn relay(inbound: TcpStream, target: SocketAddr, mut up: watch::Receiver<bool>) -> Relayed {
    if up.wait_for(|up| *up).await.is_err() {
        return Relayed::Closed;
    }
    let Ok(outbound) = TcpStream::connect(target).await else { return Relayed::TargetDown };
    let _ = inbound.set_nodelay(true);
    let _ = outbound.set_nodelay(true);
    let (inbound_read, inbound_write) = inbound.into_split();
    let (outbound_read, outbound_write) = outbound.into_split();
    tokio::join!(pump(inbound_read, outbound_write, up.clone()), pump(outbound_read, inbound_write, up));
    Relayed::Closed
}

/// Copies one direction while the link is up, holding still while it is cut.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut up: watch::Receiver<bool>) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        if up.wait_for(|up| *up).await.is_err() {
            return;
        }
        let read = tokio::select! {
            read = from.read(&mut buffer) => read,
            // Reading is cancel-safe: nothing was taken from the socket.
            _ = up.wait_for(|up| !*up) => continue,
        };
        match read {
            Ok(0) | Err(_) => break,
            Ok(count) => {
                if to.write_all(&buffer[..count]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo server: what it reads, it writes back.
    async fn echo_server() -> SocketAddr {
        echo_server_on(TcpListener::bind("127.0.0.1:0").await.unwrap())
    }

    fn echo_server_on(listener: TcpListener) -> SocketAddr {
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buffer = [0u8; 1024];
                    while let Ok(count) = stream.read(&mut buffer).await {
                        if count == 0 || stream.write_all(&buffer[..count]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        address
    }

    async fn echo(stream: &mut TcpStream, text: &[u8], within: Duration) -> Option<Vec<u8>> {
        stream.write_all(text).await.ok()?;
        let mut answer = vec![0u8; text.len()];
        tokio::time::timeout(within, stream.read_exact(&mut answer)).await.ok()?.ok()?;
        Some(answer)
    }

    #[tokio::test]
    async fn a_cut_link_holds_bytes_back_until_it_heals() {
        let targets = [echo_server().await, echo_server().await];
        let links = PeerLinks::start(&targets).await;
        let mut stream = TcpStream::connect(links.address(0, 1)).await.unwrap();
        assert_eq!(echo(&mut stream, b"one", Duration::from_secs(5)).await.as_deref(), Some(&b"one"[..]));

        links.isolate(1);
        assert_eq!(echo(&mut stream, b"two", Duration::from_millis(300)).await, None, "a cut link answers nothing");
        let mut waiting = TcpStream::connect(links.address(0, 1)).await.unwrap();
        assert_eq!(echo(&mut waiting, b"new", Duration::from_millis(300)).await, None);

        links.heal();
        let mut late = vec![0u8; 3];
        stream.read_exact(&mut late).await.unwrap();
        assert_eq!(&late, b"two", "what was held back arrives after healing");
        waiting.read_exact(&mut late).await.unwrap();
        assert_eq!(&late, b"new");
        assert_eq!(echo(&mut stream, b"three", Duration::from_secs(5)).await.as_deref(), Some(&b"three"[..]));
    }

    #[tokio::test]
    async fn isolating_a_node_leaves_the_links_between_the_others_up() {
        let targets = [echo_server().await, echo_server().await, echo_server().await];
        let links = PeerLinks::start(&targets).await;
        links.isolate(2);
        let mut between = TcpStream::connect(links.address(0, 1)).await.unwrap();
        assert!(echo(&mut between, b"up", Duration::from_secs(5)).await.is_some());
        for (from, to) in [(0, 2), (2, 0), (1, 2), (2, 1)] {
            let mut cut = TcpStream::connect(links.address(from, to)).await.unwrap();
            assert_eq!(echo(&mut cut, b"x", Duration::from_millis(200)).await, None, "{from} -> {to}");
        }
        links.cut(0, 1);
        assert_eq!(echo(&mut between, b"x", Duration::from_millis(200)).await, None);
        let mut back = TcpStream::connect(links.address(1, 0)).await.unwrap();
        assert!(echo(&mut back, b"up", Duration::from_secs(5)).await.is_some(), "the other direction still works");
    }

    #[tokio::test]
    async fn a_link_to_a_node_that_is_down_refuses_connections_until_it_is_up() {
        let port = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let down = port.local_addr().unwrap();
        drop(port);
        let targets = [echo_server().await, down];
        let links = PeerLinks::start(&targets).await;
        // The first caller is accepted and then closed on; the link stops listening.
        let mut first = TcpStream::connect(links.address(0, 1)).await.unwrap();
        assert_eq!(echo(&mut first, b"x", Duration::from_secs(5)).await, None);
        eventually_refused(links.address(0, 1)).await;

        echo_server_on(TcpListener::bind(down).await.unwrap());
        for _ in 0..100 {
            if let Ok(mut stream) = TcpStream::connect(links.address(0, 1)).await {
                assert_eq!(echo(&mut stream, b"up", Duration::from_secs(5)).await.as_deref(), Some(&b"up"[..]));
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the link did not listen again once its target was up");
    }

    async fn eventually_refused(address: SocketAddr) {
        for _ in 0..100 {
            match TcpStream::connect(address).await {
                Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => return,
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        panic!("{address} still accepts connections");
    }
}
