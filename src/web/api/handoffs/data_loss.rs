//! The data-loss fields a request gives, to open a perceived data loss or
//! to change its record: checked as the document describes them, parsed by
//! the domain's rules (`domain::handoff_input`), as the forms parse theirs.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::db::models::handoffs::DataLoss;
use crate::domain::handoff::Verification;
use crate::domain::handoff_input::parse_data_loss_text;
use crate::error::AppError;
use crate::web::api::contract::{self, schemas};

/// Data-loss fields; absent ones stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataLossInput {
    /// What data is affected.
    #[serde(default)]
    #[schema(schema_with = schemas::data_loss_text_or_null)]
    scope: Option<String>,
    /// The recovery point estimate.
    #[serde(default)]
    #[schema(schema_with = schemas::data_loss_text_or_null)]
    recovery_point: Option<String>,
    /// `unverified`, `confirmed` or `ruled_out`.
    #[serde(default)]
    #[schema(schema_with = schemas::verification_or_null)]
    verification: Option<String>,
    /// Whether customers have been told.
    #[serde(default)]
    customers_notified: Option<bool>,
}

impl DataLossInput {
    /// Checks the fields as the document describes them, before anything is read.
    pub fn check(&self) -> Result<(), AppError> {
        let text = &contract::DATA_LOSS_TEXT;
        if let Some(scope) = &self.scope {
            text.check("data_loss.scope", scope)?;
        }
        if let Some(rp) = &self.recovery_point {
            text.check("data_loss.recovery_point", rp)?;
        }
        if let Some(v) = &self.verification {
            contract::one_of("data_loss.verification", v, &contract::verifications())?;
        }
        Ok(())
    }

    /// `record` with the fields given changed.
    pub fn apply(self, mut record: DataLoss) -> Result<DataLoss, AppError> {
        self.check()?;
        if let Some(scope) = self.scope {
            record.scope = parse_data_loss_text("data_loss.scope", &scope)?;
        }
        if let Some(rp) = self.recovery_point {
            record.recovery_point = parse_data_loss_text("data_loss.recovery_point", &rp)?;
        }
        if let Some(v) = self.verification {
            record.verification = Verification::parse(&v)
                .map_err(|e| AppError::invalid("data_loss.verification", e))?;
        }
        if let Some(told) = self.customers_notified {
            record.customers_notified = told;
        }
        Ok(record)
    }
}
