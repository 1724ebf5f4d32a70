//! The znode operations of `CoordClient`: reads (plain, linearizable, or with the zxid they were read
//! at), creates, sets, deletes, multi transactions and the server status.

use corral_wire::coordinator::{
    Children, CreateMode, CreateRequest, MultiOp, MultiRequest, MultiResponse, SetRequest, Stat, Status, WriteResponse,
    Znode,
};
use reqwest::Method;

use crate::route::{children_route, znode_route};
use crate::transport::{Call, CallKind, Reply};
use crate::{CoordClient, CoordError};
use corral_wire::coordinator::ANY_VERSION;

/// A value read from the coordinator with the zxid of the state it was read from. A watch started
/// with `since = zxid` reports every later change, so nothing falls between the read and the watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed<T> {
    pub value: T,
    pub zxid: u64,
}

impl CoordClient {
    /// Reads a znode from whichever server answers, never from state older than the client has seen.
    pub async fn get(&self, path: &str) -> Result<Znode, CoordError> {
        Ok(self.get_observed(path).await?.value)
    }

    /// Reads a znode through the leader: the answer reflects every write acknowledged before it.
    pub async fn get_consistent(&self, path: &str) -> Result<Znode, CoordError> {
        let route = format!("{}?consistent=true", znode_route(path)?);
        self.read(route).await?.decode()
    }

    /// Reads a znode and the zxid it was read at, to start a watch from.
    pub async fn get_observed(&self, path: &str) -> Result<Observed<Znode>, CoordError> {
        let reply = self.read(znode_route(path)?).await?;
        let fallback = |znode: &Znode| znode.stat.mzxid.max(znode.stat.pzxid);
        observed(reply, fallback)
    }

    /// The stat of a znode, or `None` when it does not exist.
    pub async fn exists(&self, path: &str) -> Result<Option<Stat>, CoordError> {
        match self.get(path).await {
            Ok(znode) => Ok(Some(znode.stat)),
            Err(error) if error.is_no_node() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The sorted names of a znode's children.
    pub async fn children(&self, path: &str) -> Result<Children, CoordError> {
        Ok(self.children_observed(path).await?.value)
    }

    /// The children as the leader sees them (linearizable).
    pub async fn children_consistent(&self, path: &str) -> Result<Children, CoordError> {
        let route = format!("{}?consistent=true", children_route(path)?);
        self.read(route).await?.decode()
    }

    /// The children and the zxid they were read at, to start a watch from.
    pub async fn children_observed(&self, path: &str) -> Result<Observed<Children>, CoordError> {
        let reply = self.read(children_route(path)?).await?;
        let fallback = |children: &Children| children.stat.mzxid.max(children.stat.pzxid);
        observed(reply, fallback)
    }

    /// Creates a znode. For a sequential mode the answer's `path` carries the suffix; a path
    /// ending in `/` creates a sequential child named only by its number. Ephemeral nodes need a
    /// `session`.
    pub async fn create(
        &self,
        path: &str,
        data: impl Into<String>,
        mode: CreateMode,
        session: Option<u64>,
    ) -> Result<WriteResponse, CoordError> {
        let request = CreateRequest { data: data.into(), mode, session };
        let call = Call::new(Method::POST, znode_route(path)?, CallKind::Write).json(&request);
        self.write(call).await
    }

    /// Replaces a znode's data if its version is `version` (`ANY_VERSION`, -1, matches any).
    pub async fn set(&self, path: &str, data: impl Into<String>, version: i64) -> Result<WriteResponse, CoordError> {
        let request = SetRequest { data: data.into(), version };
        let call = Call::new(Method::PUT, znode_route(path)?, CallKind::Write).json(&request);
        self.write(call).await
    }

    /// Deletes a childless znode if its version is `version` (-1 matches any).
    pub async fn delete(&self, path: &str, version: i64) -> Result<(), CoordError> {
        let route = format!("{}?version={version}", znode_route(path)?);
        self.write(Call::new(Method::DELETE, route, CallKind::Write)).await.map(|_| ())
    }

    /// Writes a persistent znode's data whatever is there: creates it, or replaces its data.
    pub async fn put(&self, path: &str, data: impl Into<String>) -> Result<(), CoordError> {
        let data = data.into();
        match self.create(path, data.clone(), CreateMode::Persistent, None).await {
            Err(error) if error.is_node_exists() => self.set(path, data, ANY_VERSION).await.map(|_| ()),
            result => result.map(|_| ()),
        }
    }

    /// Deletes a childless znode whatever its version; one that is already gone is fine.
    pub async fn delete_if_exists(&self, path: &str) -> Result<(), CoordError> {
        match self.delete(path, ANY_VERSION).await {
            Err(error) if error.is_no_node() => Ok(()),
            result => result,
        }
    }

    /// Every child of `dir` with its data: the list read linearizably, then each child (one
    /// deleted in between is left out).
    pub async fn children_znodes(&self, dir: &str) -> Result<Vec<Znode>, CoordError> {
        let mut znodes = Vec::new();
        for name in self.children_consistent(dir).await?.children {
            match self.get(&format!("{}/{name}", dir.trim_end_matches('/'))).await {
                Ok(znode) => znodes.push(znode),
                Err(error) if error.is_no_node() => {}
                Err(error) => return Err(error),
            }
        }
        Ok(znodes)
    }

    /// Applies every operation or none. On failure the error is the failing operation's.
    pub async fn multi(&self, ops: Vec<MultiOp>, session: Option<u64>) -> Result<MultiResponse, CoordError> {
        let request = MultiRequest { ops, session };
        let call = Call::new(Method::POST, "/v1/multi".into(), CallKind::Write).json(&request);
        let response: MultiResponse = self.execute(&call).await?.decode()?;
        self.observe_zxid(response.zxid);
        Ok(response)
    }

    /// The status of the current server (of the next one that answers, if it does not).
    pub async fn status(&self) -> Result<Status, CoordError> {
        let call = Call::new(Method::GET, "/v1/status".into(), CallKind::Idempotent);
        self.execute(&call).await?.decode()
    }

    async fn read(&self, route: String) -> Result<Reply, CoordError> {
        self.execute(&Call::new(Method::GET, route, CallKind::Read)).await
    }

    async fn write(&self, call: Call) -> Result<WriteResponse, CoordError> {
        let response: WriteResponse = self.execute(&call).await?.decode()?;
        self.observe_zxid(response.zxid);
        Ok(response)
    }
}

/// Decodes a read and pairs it with its zxid: the header's, or a lower bound taken from the stat
/// when a server left the header out (a lower bound repeats events, it never skips one).
fn observed<T: serde::de::DeserializeOwned>(
    reply: Reply,
    lower_bound: impl Fn(&T) -> u64,
) -> Result<Observed<T>, CoordError> {
    let header_zxid = reply.zxid;
    let value: T = reply.decode()?;
    let zxid = header_zxid.unwrap_or_else(|| lower_bound(&value));
    Ok(Observed { value, zxid })
}
