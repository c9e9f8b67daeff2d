//! GitLab: the one place that knows its URLs, formats, pagination, errors
//! and rate limits.
//!
//! - `oauth`: signing people in (the OAuth application, their profile and
//!   groups), on the server's async runtime;
//! - `api`: reading issues with Baton's own token (`read_api`), one issue or
//!   every page of a labelled list, from the job runner's thread.

mod api;
mod oauth;

pub use api::{ApiClient, ApiError, Issue, Listing, MAX_PER_SECOND, call_timeout};
pub use oauth::{Authorization, GitLabError, GitLabUser, OAuthClient, is_member};
