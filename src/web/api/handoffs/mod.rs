//! `/api/v1/handoffs`: one file per job, each handler parse → one database
//! call → answer:
//!
//! - `list`: `GET /api/v1/handoffs`, a page of handoffs;
//! - `create`: `POST /api/v1/handoffs`, open one;
//! - `show`: `GET /api/v1/handoffs/{id}`, one with its notes;
//! - `patch`: `PATCH /api/v1/handoffs/{id}`, change its details;
//! - `notes`: `POST …/notes`, add a note (maybe a pass);
//! - `acknowledge` and `resolve`: the state changes;
//! - `json`: the answers' shapes; `data_loss`: the data-loss fields a
//!   request gives.
//!
//! What a value may be is the domain's (`domain::handoff`,
//! `domain::handoff_input`), as for the forms; `contract` checks and
//! describes the shape the document publishes.

mod acknowledge;
mod create;
mod data_loss;
mod json;
mod list;
mod notes;
mod patch;
mod resolve;
mod show;

pub use acknowledge::{__path_acknowledge_handoff, acknowledge_handoff};
pub use create::{__path_create_handoff, CreateHandoff, FirstNote, create_handoff};
pub use data_loss::DataLossInput;
pub use json::{DataLossJson, HandoffJson, HandoffList, NoteJson};
pub use list::{__path_list_handoffs, ListParams, list_handoffs};
pub use notes::{__path_create_note, AddNote, create_note};
pub use patch::{__path_patch_handoff, PatchHandoff, patch_handoff};
pub use resolve::{__path_resolve_handoff, ResolveHandoff, resolve_handoff};
pub use show::{__path_get_handoff, get_handoff};

use crate::db::DbConnection;
use crate::db::models::users::{self, User};
use crate::domain::user::Username;
use crate::error::AppError;
use crate::web::api::contract;

/// The user `name` who may take a handoff; a 409 on `field` when there is
/// no such user or they are a viewer (the request is well formed).
fn recipient(conn: &mut DbConnection, field: &str, name: &Username) -> Result<User, AppError> {
    users::find_recipient(conn, field, name).map_err(|e| match e {
        AppError::Invalid { field, message } => contract::conflict(&field, message),
        other => other,
    })
}
