//! Outside systems, one module each: the only code that knows their URLs,
//! formats, pagination, errors and rate limits. Clients here never touch the
//! database; handlers and jobs call them and store what they return.

pub mod chat;
pub mod gitlab;
