//! `GET /api/v1/export`: the archive `baton backup` writes, for an admin to
//! pull over HTTPS. It is written to a temporary file first (the manifest
//! leads the archive and is known only at its end), then streamed from it;
//! the audit log records who took it.

use std::fs::File;
use std::future::Future;
use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::db::models::audit;
use crate::domain::handoff::Role;
use crate::error::AppError;
use crate::web::AppState;
use crate::web::api::ApiUser;
use crate::web::identity::client_address;
use crate::web::respond::{ApiError, ErrorBody};

/// Bytes read from the file per chunk of the body.
const CHUNK: usize = 256 << 10;

/// The database as a backup archive (gzip-compressed JSON lines: a
/// manifest, then every table's rows), the same file `baton backup`
/// writes and `baton restore` reads. Admins only; recorded in the audit log.
#[utoipa::path(get, path = "/api/v1/export", tag = "export",
    responses((status = 200, description = "the archive, as an attachment", content_type = "application/gzip", body = [u8]),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not an admin", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn export_archive(
    state: web::Data<AppState>,
    user: ApiUser,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if user.0.role != Role::Admin {
        return Err(AppError::Forbidden(format!(
            "{} is not an admin: only admins export the database",
            user.0.username
        ))
        .into());
    }
    let url = state.settings.database_url.clone();
    let dir = state
        .settings
        .backup_dir
        .clone()
        .unwrap_or_else(std::env::temp_dir);
    let at = chrono::Utc::now();
    let name = crate::backup::upgrade::file_name(crate::backup::upgrade::PREFIX, at);
    let (file, written) = web::block(move || {
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let path = dir.join(format!(".export-{}-{name}", uuid::Uuid::new_v4().simple()));
        let written = crate::backup::write_archive(&url, &path)?;
        // Open, then unlink: the file lives as long as the body reads it.
        let file = File::open(&path).map_err(|e| format!("{}: {e}", path.display()));
        let _ = std::fs::remove_file(&path);
        Ok::<_, String>((file?, written))
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)?;
    let detail = format!(
        "{} rows, {} bytes",
        written.manifest.total_rows(),
        written.bytes
    );
    let (admin, address) = (user.0.username.clone(), client_address(&req));
    state
        .db
        .run(move |conn| {
            let event = audit::Event {
                action: crate::domain::audit::AuditAction::Export,
                actor: &admin,
                subject: "database",
                address: &address,
                detail: &detail,
            };
            Ok(audit::record(conn, event)?)
        })
        .await?;
    // A write in a GET: pages kept from before (the audit log) are stale now.
    state.caches.changes.bump();
    let filename = crate::backup::upgrade::file_name(crate::backup::upgrade::PREFIX, at);
    Ok(HttpResponse::Ok()
        .content_type("application/gzip")
        // Compressed already: the response is not compressed again.
        .insert_header((header::CONTENT_ENCODING, "identity"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(FileBody {
            file: Some(file),
            reading: None,
            left: written.bytes,
        }))
}

/// A chunk being read on the blocking pool, with the file to read on from.
type Reading = actix_web::rt::task::JoinHandle<std::io::Result<(File, Vec<u8>)>>;

/// A file sent as the body, read a chunk at a time on the blocking pool.
struct FileBody {
    file: Option<File>,
    reading: Option<Reading>,
    left: u64,
}

impl MessageBody for FileBody {
    type Error = std::io::Error;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.left)
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, std::io::Error>>> {
        let this = self.get_mut();
        if this.reading.is_none() {
            let Some(mut file) = this.file.take() else {
                return Poll::Ready(None);
            };
            if this.left == 0 {
                return Poll::Ready(None);
            }
            let want = CHUNK.min(usize::try_from(this.left).unwrap_or(CHUNK));
            this.reading = Some(actix_web::rt::task::spawn_blocking(move || {
                let mut chunk = vec![0; want];
                file.read_exact(&mut chunk)?;
                Ok((file, chunk))
            }));
        }
        let Some(reading) = this.reading.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(reading).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(done) => {
                this.reading = None;
                match done {
                    Ok(Ok((file, chunk))) => {
                        this.left -= chunk.len() as u64;
                        this.file = Some(file);
                        Poll::Ready(Some(Ok(Bytes::from(chunk))))
                    }
                    Ok(Err(e)) => Poll::Ready(Some(Err(e))),
                    Err(e) => Poll::Ready(Some(Err(std::io::Error::other(e)))),
                }
            }
        }
    }
}
