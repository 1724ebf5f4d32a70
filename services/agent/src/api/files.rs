//! `/files/browse?path=` lists a sandbox directory and `/files/read?path=&offset=&length=` reads
//! part of a sandbox file, in Mesos' shapes. Paths are absolute (as `/state` gives sandbox
//! directories) or relative to the sandboxes directory; anything that resolves outside it is
//! refused with 403.

use std::fs::Metadata;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use axum::extract::State;
use axum::Json;
use corral_kit::QueryParams;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{ApiError, ApiState};

/// The most one read returns.
const MAX_READ: u64 = 4 * 1024 * 1024;

#[derive(Debug, Deserialize)]
pub(super) struct BrowseQuery {
    path: String,
}

/// One entry of a listing, as Mesos writes it.
#[derive(Debug, Serialize)]
pub(super) struct FileEntry {
    path: String,
    size: u64,
    mtime: f64,
    mode: String,
    nlink: u64,
    uid: String,
    gid: String,
}

pub(super) async fn browse(
    State(api): State<Arc<ApiState>>,
    QueryParams(query): QueryParams<BrowseQuery>,
) -> Result<Json<Vec<FileEntry>>, ApiError> {
    let path = api.sandboxes.resolve(&query.path)?;
    let io_error = |error| ApiError::Io { path: query.path.clone(), error };
    let metadata = tokio::fs::metadata(&path).await.map_err(io_error)?;
    if !metadata.is_dir() {
        return Ok(Json(vec![entry(&path, &metadata)]));
    }
    let mut listing = Vec::new();
    let mut entries = tokio::fs::read_dir(&path).await.map_err(io_error)?;
    while let Some(child) = entries.next_entry().await.map_err(io_error)? {
        if let Ok(metadata) = child.metadata().await {
            listing.push(entry(&child.path(), &metadata));
        }
    }
    listing.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Json(listing))
}

fn entry(path: &Path, metadata: &Metadata) -> FileEntry {
    let mtime =
        metadata.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0.0, |d| d.as_secs_f64());
    FileEntry {
        path: path.to_string_lossy().into_owned(),
        size: metadata.len(),
        mtime,
        mode: mode_text(metadata.is_dir(), metadata.permissions().mode()),
        nlink: metadata.nlink(),
        uid: metadata.uid().to_string(),
        gid: metadata.gid().to_string(),
    }
}

/// `drwxr-xr-x`, the way `ls -l` and Mesos show modes.
fn mode_text(is_dir: bool, mode: u32) -> String {
    let mut text = String::from(if is_dir { "d" } else { "-" });
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 0o7;
        text.push(if bits & 4 != 0 { 'r' } else { '-' });
        text.push(if bits & 2 != 0 { 'w' } else { '-' });
        text.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    text
}

#[derive(Debug, Deserialize)]
pub(super) struct ReadQuery {
    path: String,
    /// Where to start; -1 asks only for the file's size (answered as the offset).
    #[serde(default)]
    offset: Option<i64>,
    #[serde(default)]
    length: Option<u64>,
}

#[derive(Debug, Serialize)]
pub(super) struct FileChunk {
    data: String,
    offset: u64,
}

pub(super) async fn read(
    State(api): State<Arc<ApiState>>,
    QueryParams(query): QueryParams<ReadQuery>,
) -> Result<Json<FileChunk>, ApiError> {
    let path = api.sandboxes.resolve(&query.path)?;
    let io_error = |error| ApiError::Io { path: query.path.clone(), error };
    let metadata = tokio::fs::metadata(&path).await.map_err(io_error)?;
    if metadata.is_dir() {
        return Err(ApiError::BadRequest(format!("{} is a directory", query.path)));
    }
    let size = metadata.len();
    let offset = match query.offset.unwrap_or(0) {
        -1 => return Ok(Json(FileChunk { data: String::new(), offset: size })),
        offset if offset < 0 => return Err(ApiError::BadRequest(format!("offset {offset} is negative"))),
        offset => (offset as u64).min(size),
    };
    let length = query.length.unwrap_or(MAX_READ).min(MAX_READ).min(size - offset);
    let mut file = tokio::fs::File::open(&path).await.map_err(io_error)?;
    file.seek(std::io::SeekFrom::Start(offset)).await.map_err(io_error)?;
    let mut data = Vec::with_capacity(length as usize);
    file.take(length).read_to_end(&mut data).await.map_err(io_error)?;
    Ok(Json(FileChunk { data: String::from_utf8_lossy(&data).into_owned(), offset }))
}

#[cfg(test)]
mod tests {
    use super::mode_text;

    #[test]
    fn modes_read_like_ls() {
        assert_eq!(mode_text(true, 0o40755), "drwxr-xr-x");
        assert_eq!(mode_text(false, 0o100640), "-rw-r-----");
    }
}
