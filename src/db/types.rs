//! How the domain's typed values are stored: each value from a fixed set
//! (kinds, statuses, verification states, roles, time zones, audit actions,
//! sign-in methods) as its one spelling in a `Text` column, a severity as
//! its number. Written through diesel's `AsExpression` (so that filters
//! compare typed values) and `ToSql`, for either backend and for
//! [`DbConnection`](crate::db::DbConnection)'s multi-backend.
//!
//! There is no `FromSql`: a value alone cannot say which row it came from.
//! Rows are read as their stored text and turned into typed values by a
//! [`RowReader`], in each row type's `Queryable`; a value Baton does not
//! know is an error that names the row ([`BadRow`]), never a guess.

use diesel::backend::Backend;
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{Integer, Text};

use crate::domain::audit::{AuditAction, SignInMethod};
use crate::domain::event::EventKind;
use crate::domain::handoff::{Kind, Role, Severity, Status, Verification};
use crate::domain::time::Timezone;

/// A stored row Baton cannot read: which row, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// The table.
    pub table: &'static str,
    /// The row's id.
    pub id: String,
    /// What is wrong, as the rest of a sentence about the row.
    pub problem: String,
}

impl BadRow {
    /// A row whose `column` holds `value`, which Baton does not know.
    pub fn unknown(
        table: &'static str,
        id: &str,
        column: &str,
        value: impl std::fmt::Debug,
    ) -> BadRow {
        BadRow {
            table,
            id: id.to_owned(),
            problem: format!("has {column} {value:?}, which Baton does not know"),
        }
    }
}

impl std::fmt::Display for BadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} row {} {}", self.table, self.id, self.problem)
    }
}

impl std::error::Error for BadRow {}

impl From<BadRow> for diesel::result::Error {
    fn from(bad: BadRow) -> Self {
        diesel::result::Error::DeserializationError(Box::new(bad))
    }
}

/// A domain value stored as its one spelling.
pub trait StoredText: Copy {
    /// The stored spelling.
    fn text(self) -> &'static str;
    /// The value stored as `text`, if Baton knows it.
    fn from_text(text: &str) -> Option<Self>;
}

/// Turns the stored values of one row into their domain types.
#[derive(Debug, Clone, Copy)]
pub struct RowReader<'a> {
    table: &'static str,
    id: &'a str,
}

impl<'a> RowReader<'a> {
    /// Reads the row `id` of `table`.
    pub fn new(table: &'static str, id: &'a str) -> RowReader<'a> {
        RowReader { table, id }
    }

    /// The value `column` holds as `text`.
    pub fn text<T: StoredText>(&self, column: &str, text: String) -> Result<T, BadRow> {
        T::from_text(&text).ok_or_else(|| BadRow::unknown(self.table, self.id, column, text))
    }

    /// The value a nullable `column` holds as `text`.
    pub fn optional_text<T: StoredText>(
        &self,
        column: &str,
        text: Option<String>,
    ) -> Result<Option<T>, BadRow> {
        text.map(|text| self.text(column, text)).transpose()
    }

    /// The severity `column` holds as `number`.
    pub fn severity(&self, column: &str, number: i32) -> Result<Severity, BadRow> {
        Severity::new(number.into())
            .map_err(|_| BadRow::unknown(self.table, self.id, column, number))
    }
}

/// `StoredText` for the enums of `text_enum!`, and how all of them are
/// written: as their text.
macro_rules! stored_as_text {
    (enums: $($enum:ty),+; all: $($t:ty),+) => {
        $(
            impl StoredText for $enum {
                fn text(self) -> &'static str {
                    self.as_str()
                }
                fn from_text(text: &str) -> Option<Self> {
                    <$enum>::exact(text)
                }
            }
        )+
        $(
            impl AsExpression<Text> for $t {
                type Expression = <&'static str as AsExpression<Text>>::Expression;
                fn as_expression(self) -> Self::Expression {
                    AsExpression::<Text>::as_expression(self.text())
                }
            }

            impl AsExpression<Text> for &$t {
                type Expression = <&'static str as AsExpression<Text>>::Expression;
                fn as_expression(self) -> Self::Expression {
                    AsExpression::<Text>::as_expression(self.text())
                }
            }

            /// For a nullable column (`Option<T>` is written through it).
            impl<DB> ToSql<Text, DB> for $t
            where
                DB: Backend,
                str: ToSql<Text, DB>,
            {
                fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                    self.text().to_sql(out)
                }
            }
        )+
    };
}

stored_as_text!(
    enums: Kind, Status, Verification, Role, AuditAction, SignInMethod, EventKind;
    all: Kind, Status, Verification, Role, AuditAction, SignInMethod, EventKind, Timezone
);

impl StoredText for Timezone {
    fn text(self) -> &'static str {
        self.name()
    }

    /// Stored zones are canonical IANA names; one that is no longer known
    /// (or not a zone at all) is refused.
    fn from_text(text: &str) -> Option<Self> {
        Timezone::parse(text).ok()
    }
}

impl AsExpression<Integer> for Severity {
    type Expression = <i32 as AsExpression<Integer>>::Expression;
    fn as_expression(self) -> Self::Expression {
        AsExpression::<Integer>::as_expression(self.get())
    }
}

impl AsExpression<Integer> for &Severity {
    type Expression = <i32 as AsExpression<Integer>>::Expression;
    fn as_expression(self) -> Self::Expression {
        AsExpression::<Integer>::as_expression(self.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_value_names_the_table_the_row_the_column_and_the_value() {
        let reader = RowReader::new("handoffs", "0193-abc");
        let err = reader
            .text::<Status>("status", "paused".into())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"handoffs row 0193-abc has status "paused", which Baton does not know"#
        );
        let err = reader.severity("severity", 7).unwrap_err();
        assert_eq!(
            err.to_string(),
            "handoffs row 0193-abc has severity 7, which Baton does not know"
        );
        let diesel_error: diesel::result::Error = err.into();
        assert_eq!(
            diesel_error.to_string(),
            "handoffs row 0193-abc has severity 7, which Baton does not know"
        );
    }

    #[test]
    fn stored_values_are_read_in_their_exact_spelling_only() {
        let reader = RowReader::new("users", "u1");
        assert_eq!(reader.text::<Role>("role", "admin".into()), Ok(Role::Admin));
        assert!(reader.text::<Role>("role", "Admin".into()).is_err());
        assert!(reader.text::<Role>("role", " admin".into()).is_err());
        assert_eq!(
            reader.optional_text::<Verification>("dl_verification", None),
            Ok(None)
        );
        assert!(
            reader
                .text::<Timezone>("timezone", "Mars/Olympus".into())
                .is_err()
        );
        for kind in Kind::ALL {
            assert_eq!(reader.text::<Kind>("kind", kind.text().into()), Ok(*kind));
        }
    }
}
