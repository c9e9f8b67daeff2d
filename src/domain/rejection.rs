//! The domain's one error: why a value or a change is refused, in words for
//! the person who sent it. The web layer answers it (422 beside the field, or
//! in the JSON error body; 409 or 403 for a change that cannot be made now).

/// A refusal by the domain's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// A value that is not acceptable: which field, and what is wrong.
    Invalid {
        /// The field that holds the value.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A value over its size limit.
    TooLarge {
        /// The field that holds the value.
        field: String,
        /// What the limit is.
        message: String,
    },
    /// A change the thing's current state does not allow.
    Conflict(String),
    /// A change this person may not make.
    NotYours(String),
}

impl Rejection {
    /// The field the refusal is about, if it is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Rejection::Invalid { field, .. } | Rejection::TooLarge { field, .. } => Some(field),
            Rejection::Conflict(_) | Rejection::NotYours(_) => None,
        }
    }

    /// What is wrong, for a person.
    pub fn message(&self) -> &str {
        match self {
            Rejection::Invalid { message, .. } | Rejection::TooLarge { message, .. } => message,
            Rejection::Conflict(message) | Rejection::NotYours(message) => message,
        }
    }

    /// A refused value of `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Rejection {
        Rejection::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::Invalid { field, message } | Rejection::TooLarge { field, message } => {
                write!(f, "{field}: {message}")
            }
            Rejection::Conflict(message) | Rejection::NotYours(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Rejection {}
