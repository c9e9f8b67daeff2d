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

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::canonical::Column;

/// The archive's format name, in its manifest.
pub const FORMAT: &str = "baton-backup";
/// The format version this Baton writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
/// The header of every gzip member Baton writes: no name, no time, fast
/// compression, unknown system. Anything else was not written by Baton.
const MEMBER_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255];
/// Bytes handed to the compressing thread at a time.
const CHUNK: usize = 1 << 20;
/// The largest manifest read (a few KB in practice).
const MANIFEST_LIMIT: u64 = 16 << 20;

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
struct Section {
    table: String,
}

/// The last line of the rows member.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct End {
    end: String,
}

/// The lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The start of a digest, for messages.
fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

/// The rows being compressed into a temporary file on another thread.
struct Compressor {
    chunks: Option<mpsc::SyncSender<Vec<u8>>>,
    spare: mpsc::Receiver<Vec<u8>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<File>>>,
}

impl Compressor {
    fn start(file: File) -> Compressor {
        let (chunks, incoming) = mpsc::sync_channel::<Vec<u8>>(4);
        let (give_back, spare) = mpsc::channel::<Vec<u8>>();
        let thread = std::thread::spawn(move || {
            let mut gz = GzEncoder::new(BufWriter::with_capacity(CHUNK, file), Compression::fast());
            for mut chunk in incoming {
                gz.write_all(&chunk)?;
                chunk.clear();
                let _ = give_back.send(chunk);
            }
            gz.finish()?.into_inner().map_err(|e| e.into_error())
        });
        Compressor {
            chunks: Some(chunks),
            spare,
            thread: Some(thread),
        }
    }

    /// Hands `chunk` over and returns an empty buffer to fill next.
    fn send(&mut self, chunk: Vec<u8>) -> Result<Vec<u8>, String> {
        let sent = self.chunks.as_ref().map(|c| c.send(chunk));
        if !matches!(sent, Some(Ok(()))) {
            // The thread stopped: its error says why.
            return Err(self
                .join()
                .err()
                .unwrap_or_else(|| "compression stopped".into()));
        }
        Ok(self
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK + 64 * 1024)))
    }

    /// Waits for the compressed file.
    fn join(&mut self) -> Result<File, String> {
        self.chunks = None;
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(Ok(file))) => Ok(file),
            Some(Ok(Err(e))) => Err(format!("writing the archive: {e}")),
            Some(Err(_)) => Err("the compressing thread panicked".into()),
            None => Err("the archive is already finished".into()),
        }
    }
}

/// Writes an archive: tables one after the other, then [`Writer::finish`].
pub struct Writer {
    path: PathBuf,
    rows_path: PathBuf,
    partial_path: PathBuf,
    compressor: Compressor,
    buffer: Vec<u8>,
    tables: Vec<TableEntry>,
    hasher: Sha256,
    done: bool,
}

impl Writer {
    /// Starts an archive at `path`; nothing is at `path` until it is finished.
    pub fn create(path: &Path) -> Result<Writer, String> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .ok_or_else(|| format!("{} names no file", path.display()))?
            .to_string_lossy()
            .into_owned();
        let rows_path = dir.join(format!(".{name}.rows.partial"));
        let partial_path = dir.join(format!(".{name}.partial"));
        let rows = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&rows_path)
            .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
        Ok(Writer {
            path: path.to_owned(),
            rows_path,
            partial_path,
            compressor: Compressor::start(rows),
            buffer: Vec::with_capacity(CHUNK + 64 * 1024),
            tables: vec![],
            hasher: Sha256::new(),
            done: false,
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            let full = std::mem::take(&mut self.buffer);
            self.buffer = self.compressor.send(full)?;
        }
        Ok(())
    }

    fn line<T: Serialize>(&mut self, value: &T) -> Result<(), String> {
        let mut line = serde_json::to_vec(value).map_err(|e| e.to_string())?;
        line.push(b'\n');
        self.write(&line)
    }

    /// Starts the next table.
    pub fn begin_table(
        &mut self,
        name: &str,
        key: &str,
        columns: Vec<Column>,
    ) -> Result<(), String> {
        self.line(&Section {
            table: name.to_owned(),
        })?;
        self.hasher = Sha256::new();
        self.tables.push(TableEntry {
            name: name.to_owned(),
            key: key.to_owned(),
            columns,
            rows: 0,
            sha256: String::new(),
        });
        Ok(())
    }

    /// Adds a canonical row line (with its newline) to the current table.
    pub fn row(&mut self, line: &[u8]) -> Result<(), String> {
        self.hasher.update(line);
        match self.tables.last_mut() {
            Some(table) => table.rows += 1,
            None => return Err("a row before any table".into()),
        }
        self.write(line)
    }

    /// Ends the current table.
    pub fn end_table(&mut self) {
        let digest = std::mem::take(&mut self.hasher).finalize();
        if let Some(table) = self.tables.last_mut() {
            table.sha256 = hex(&digest);
        }
    }

    /// Writes the manifest (`manifest.tables` is filled in here) and the
    /// rows, and renames the archive into place.
    pub fn finish(mut self, mut manifest: Manifest) -> Result<Manifest, String> {
        self.line(&End {
            end: FORMAT.to_owned(),
        })?;
        let last = std::mem::take(&mut self.buffer);
        if !last.is_empty() {
            self.compressor.send(last)?;
        }
        let mut rows = self.compressor.join()?;
        manifest.tables = std::mem::take(&mut self.tables);
        let fail = |what: &str, e: std::io::Error| format!("writing the archive ({what}): {e}");
        let out = File::create(&self.partial_path).map_err(|e| fail("create", e))?;
        let mut head = GzEncoder::new(BufWriter::new(out), Compression::fast());
        serde_json::to_writer(&mut head, &manifest).map_err(|e| e.to_string())?;
        head.write_all(b"\n").map_err(|e| fail("manifest", e))?;
        let mut out = head
            .finish()
            .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
            .map_err(|e| fail("manifest", e))?;
        use std::io::Seek;
        rows.seek(std::io::SeekFrom::Start(0))
            .map_err(|e| fail("rows", e))?;
        std::io::copy(&mut rows, &mut out).map_err(|e| fail("rows", e))?;
        out.sync_all().map_err(|e| fail("sync", e))?;
        drop(out);
        std::fs::rename(&self.partial_path, &self.path).map_err(|e| fail("rename", e))?;
        let _ = std::fs::remove_file(&self.rows_path);
        self.done = true;
        Ok(manifest)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.done {
            self.compressor.chunks = None;
            let _ = self.compressor.join();
            let _ = std::fs::remove_file(&self.rows_path);
            let _ = std::fs::remove_file(&self.partial_path);
        }
    }
}

/// A `BufRead` that counts what was consumed from it: where a gzip member
/// ends in the file.
struct Counted<R> {
    inner: R,
    consumed: u64,
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.consumed += amt as u64;
        self.inner.consume(amt);
    }
}

/// What an I/O error while reading the archive means for a person.
fn damaged(e: std::io::Error, during: &str) -> String {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        format!("the archive ends early, while reading {during}: it was cut short (truncated)")
    } else {
        format!("the archive is damaged, while reading {during}: {e}")
    }
}

/// One item of the rows member.
enum Item<'a> {
    /// The start of a table.
    Table(String),
    /// A row of the current table: its canonical line, newline included.
    Row(&'a [u8]),
    /// The end of the archive.
    End,
}

/// What [`read`] does with the archive's content as it goes.
pub trait Visit {
    /// A table starts.
    fn table(&mut self, table: &TableEntry) -> Result<(), String>;
    /// A row of it: its canonical line, newline included.
    fn row(&mut self, line: &[u8]) -> Result<(), String>;
    /// The table's rows matched the manifest.
    fn table_end(&mut self, table: &TableEntry) -> Result<(), String>;
}

/// A [`Visit`] that only lets the checks run.
pub struct JustCheck;

impl Visit for JustCheck {
    fn table(&mut self, _: &TableEntry) -> Result<(), String> {
        Ok(())
    }
    fn row(&mut self, _: &[u8]) -> Result<(), String> {
        Ok(())
    }
    fn table_end(&mut self, _: &TableEntry) -> Result<(), String> {
        Ok(())
    }
}

/// An archive being read: its manifest, then its rows.
pub struct Reader {
    /// The manifest.
    pub manifest: Manifest,
    path: PathBuf,
    rows: BufReader<flate2::bufread::GzDecoder<Counted<BufReader<File>>>>,
    line: Vec<u8>,
    at_table: String,
}

impl Reader {
    /// Opens `path` and reads its manifest (the rows are read by [`read`]).
    pub fn open(path: &Path) -> Result<Reader, String> {
        let name = path.display();
        let file = File::open(path).map_err(|e| format!("cannot read {name}: {e}"))?;
        let mut raw = Counted {
            inner: BufReader::with_capacity(CHUNK, file),
            consumed: 0,
        };
        check_member_header(path, 0).map_err(|e| {
            e.unwrap_or_else(|| {
                format!("{name} is not a Baton backup archive: it is not gzip-compressed")
            })
        })?;
        let mut manifest_text = Vec::new();
        {
            let mut head = flate2::bufread::GzDecoder::new(&mut raw);
            (&mut head)
                .take(MANIFEST_LIMIT)
                .read_to_end(&mut manifest_text)
                .map_err(|e| damaged(e, "the manifest"))?;
        }
        let manifest: Manifest = std::str::from_utf8(&manifest_text)
            .ok()
            .and_then(|t| t.strip_suffix('\n'))
            .filter(|t| !t.contains('\n'))
            .and_then(|t| serde_json::from_str(t).ok())
            .filter(|m: &Manifest| m.format == FORMAT)
            .ok_or_else(|| {
                format!("{name} is not a Baton backup archive: it does not start with a manifest")
            })?;
        if manifest.format_version > FORMAT_VERSION {
            return Err(format!(
                "{name} was written by Baton {} in archive format {}; this Baton ({}) reads format {FORMAT_VERSION}: restore it with Baton {} or newer",
                manifest.baton_version,
                manifest.format_version,
                env!("CARGO_PKG_VERSION"),
                manifest.baton_version
            ));
        }
        check_member_header(path, raw.consumed).map_err(|e| {
            e.unwrap_or_else(|| {
                "the archive ends early, after its manifest: it was cut short (truncated)".into()
            })
        })?;
        Ok(Reader {
            manifest,
            path: path.to_owned(),
            rows: BufReader::with_capacity(CHUNK, flate2::bufread::GzDecoder::new(raw)),
            line: Vec::with_capacity(4096),
            at_table: "the first table".into(),
        })
    }

    fn unexpected(&self) -> String {
        format!(
            "the archive is damaged: it holds a line that is neither a row nor a marker in {}",
            self.at_table
        )
    }

    fn next_item(&mut self) -> Result<Item<'_>, String> {
        self.line.clear();
        let n = self
            .rows
            .read_until(b'\n', &mut self.line)
            .map_err(|e| damaged(e, &self.at_table))?;
        if n == 0 || self.line.last() != Some(&b'\n') {
            return Err(format!(
                "the archive ends early, while reading {}: it was cut short (truncated)",
                self.at_table
            ));
        }
        match self.line.first() {
            Some(b'[') => Ok(Item::Row(&self.line)),
            Some(b'{') => {
                if let Ok(section) = serde_json::from_slice::<Section>(&self.line) {
                    self.at_table = format!("table {}", section.table);
                    Ok(Item::Table(section.table))
                } else if serde_json::from_slice::<End>(&self.line).is_ok_and(|e| e.end == FORMAT) {
                    self.expect_nothing_more()?;
                    Ok(Item::End)
                } else {
                    Err(self.unexpected())
                }
            }
            _ => Err(self.unexpected()),
        }
    }

    /// After the end line: the rows member ends there (its CRC and length
    /// are checked now), and so does the file.
    fn expect_nothing_more(&mut self) -> Result<(), String> {
        let mut rest = [0u8; 1];
        let more = self
            .rows
            .read(&mut rest)
            .map_err(|e| damaged(e, "the end of the rows"))?;
        let trailing = self
            .rows
            .get_mut()
            .get_mut()
            .fill_buf()
            .map_err(|e| damaged(e, "the end of the file"))?
            .len();
        if more > 0 || trailing > 0 {
            return Err(format!(
                "{} has data after the end of the archive",
                self.path.display()
            ));
        }
        Ok(())
    }
}

/// Compares the gzip member header at `offset` with Baton's. `Err(None)`:
/// there is no member there (or not a whole header).
fn check_member_header(path: &Path, offset: u64) -> Result<(), Option<String>> {
    use std::os::unix::fs::FileExt;
    let file =
        File::open(path).map_err(|e| Some(format!("cannot read {}: {e}", path.display())))?;
    let mut header = [0u8; 10];
    let mut got = 0;
    while got < header.len() {
        match file.read_at(&mut header[got..], offset + got as u64) {
            Ok(0) => return Err(None),
            Ok(n) => got += n,
            Err(e) => return Err(Some(format!("cannot read {}: {e}", path.display()))),
        }
    }
    if offset == 0 && header[..2] != MEMBER_HEADER[..2] {
        return Err(None);
    }
    if header != MEMBER_HEADER {
        return Err(Some(format!(
            "the archive is damaged: the gzip header at byte {offset} is not the one Baton writes"
        )));
    }
    Ok(())
}

/// Reads the whole archive at `path`, handing its content to `visit`, and
/// checks it against its manifest on the way: every table in order with
/// its count and SHA-256, the end, nothing after. The message of a failure
/// names what is wrong.
pub fn read(path: &Path, visit: &mut dyn Visit) -> Result<Manifest, String> {
    let mut reader = Reader::open(path)?;
    read_rows(&mut reader, visit)?;
    Ok(reader.manifest)
}

/// [`read`] on a reader whose manifest was read already.
pub fn read_rows(reader: &mut Reader, visit: &mut dyn Visit) -> Result<(), String> {
    enum Marker {
        Table(String),
        End,
    }
    let tables = reader.manifest.tables.clone();
    let mut marker = match reader.next_item()? {
        Item::Table(name) => Marker::Table(name),
        Item::End => Marker::End,
        Item::Row(_) => return Err(reader.unexpected()),
    };
    for table in &tables {
        match marker {
            Marker::Table(name) if name == table.name => {}
            Marker::Table(name) => {
                return Err(format!(
                    "the archive holds table {name} where its manifest says {}",
                    table.name
                ));
            }
            Marker::End => {
                return Err(format!(
                    "the archive ends before table {}, which its manifest lists",
                    table.name
                ));
            }
        }
        visit.table(table)?;
        let mut hasher = Sha256::new();
        let mut rows = 0u64;
        marker = loop {
            match reader.next_item()? {
                Item::Row(line) => {
                    hasher.update(line);
                    rows += 1;
                    visit.row(line)?;
                }
                Item::Table(name) => break Marker::Table(name),
                Item::End => break Marker::End,
            }
        };
        let sha = hex(&hasher.finalize());
        if rows != table.rows || sha != table.sha256 {
            return Err(format!(
                "table {}: the manifest says {} rows with SHA-256 {}…, the archive holds {rows} rows with SHA-256 {}…",
                table.name,
                table.rows,
                short(&table.sha256),
                short(&sha)
            ));
        }
        visit.table_end(table)?;
    }
    match marker {
        Marker::End => Ok(()),
        Marker::Table(name) => Err(format!(
            "the archive holds table {name}, which its manifest does not list"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_member_header_is_what_flate2_writes_at_fast_compression() {
        let gz = GzEncoder::new(Vec::new(), Compression::fast());
        let bytes = gz.finish().unwrap();
        assert_eq!(bytes[..10], MEMBER_HEADER);
    }
}
