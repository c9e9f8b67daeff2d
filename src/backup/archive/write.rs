//! Writing an archive: the rows compressed on a thread of their own into a
//! temporary file as they come, then the manifest's member and that file
//! under a temporary name, renamed into place once complete.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{CHUNK, End, FORMAT, Manifest, Section, TableEntry, hex};
use crate::backup::canonical::Column;

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
