//! Model functions, one file per table (or per group of tables that change
//! together). Each returns `Result<T, AppError>` or diesel's `QueryResult`.

pub mod audit;
pub mod handoffs;
pub mod handovers;
pub mod sessions;
pub mod settings;
pub mod shifts;
pub mod signin_attempts;
pub mod tokens;
pub mod users;

/// A new UUID v7 (time-ordered) as stored text.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Whether a diesel error is a unique-constraint violation.
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
