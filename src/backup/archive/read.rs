//! Reading an archive, every byte checked: the members' headers against
//! Baton's, the compressed data against gzip's CRC-32 and length, each
//! table against the manifest's count and SHA-256, nothing after the end.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{
    CHUNK, End, FORMAT, FORMAT_VERSION, MANIFEST_LIMIT, MEMBER_HEADER, Manifest, Section,
    TableEntry, hex, short,
};

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
