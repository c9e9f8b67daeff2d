//! The archive file: two gzip members, so that `zcat` reads it as one text.
//!
//! ```text
//! member 1: {"format":"baton-backup","format_version":1,…,"tables":[…]}   the manifest, one line
//! member 2: {"table":"users"}                                             each table in order,
//!           ["0193…","alice",…]                                          its rows, canonical
//!           …
//!           {"end":"baton-backup"}                                        and the end
//! ```
//!
//! The manifest comes first but is only known at the end, so the rows are
//! compressed into a temporary file as they are read (on a thread of their
//! own), then the archive is written as the manifest's member followed by
//! that file, under a temporary name renamed into place once complete.
//!
//! Reading checks every byte: each member's header is compared with the one
//! Baton writes, the compressed data with gzip's CRC-32 and length, each
//! table's rows with the manifest's count and SHA-256, and nothing may
//! follow the end.

mod read;
mod write;

pub use read::{JustCheck, Reader, Visit, read, read_rows};
pub use write::Writer;

use serde::{Deserialize, Serialize};

use super::canonical::Column;

/// The archive's format name, in its manifest.
pub const FORMAT: &str = "baton-backup";
/// The format version this Baton writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
/// The header of every gzip member Baton writes: no name, no time, fast
/// compression, unknown system. Anything else was not written by Baton.
pub(super) const MEMBER_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255];
/// Bytes handed to the compressing thread at a time.
pub(super) const CHUNK: usize = 1 << 20;
/// The largest manifest read (a few KB in practice).
pub(super) const MANIFEST_LIMIT: u64 = 16 << 20;

/// What the archive holds, in its first line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format version.
    pub format_version: u32,
    /// The Baton that wrote it (`CARGO_PKG_VERSION`).
    pub baton_version: String,
    /// The database's schema version (its newest migration), or none when
    /// it was never migrated.
    pub schema_version: Option<String>,
    /// When the snapshot was taken, RFC 3339 UTC.
    pub created_at: String,
    /// `sqlite` or `postgres`.
    pub source_backend: String,
    /// The tables, in the order they are restored.
    pub tables: Vec<TableEntry>,
}

impl Manifest {
    /// The rows of all tables.
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

/// One table in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableEntry {
    /// Its name.
    pub name: String,
    /// The column its rows are ordered by.
    pub key: String,
    /// Its columns, in the order of each row's values.
    pub columns: Vec<Column>,
    /// How many rows.
    pub rows: u64,
    /// SHA-256 of its rows' canonical lines, newlines included, in hex.
    pub sha256: String,
}

/// A section marker of the rows member.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Section {
    pub(super) table: String,
}

/// The last line of the rows member.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct End {
    pub(super) end: String,
}

/// The lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The start of a digest, for messages.
pub(super) fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;

    #[test]
    fn the_member_header_is_what_flate2_writes_at_fast_compression() {
        let gz = GzEncoder::new(Vec::new(), Compression::fast());
        let bytes = gz.finish().unwrap();
        assert_eq!(bytes[..10], MEMBER_HEADER);
    }
}
