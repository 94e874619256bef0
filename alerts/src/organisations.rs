//! The organisations careaudit routes cases to, with their privacy officers' address.

use serde::{Deserialize, Serialize};
use sqlx::PgExecutor;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Organisation {
    pub ods_code: String,
    pub name: String,
    pub privacy_officer_email: Option<String>,
}

pub async fn upsert_organisation<'e>(
    executor: impl PgExecutor<'e>,
    organisation: &Organisation,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO organisations (ods_code, name, privacy_officer_email) VALUES ($1, $2, $3)
         ON CONFLICT (ods_code) DO UPDATE SET name = EXCLUDED.name, privacy_officer_email = EXCLUDED.privacy_officer_email",
    )
    .bind(&organisation.ods_code)
    .bind(&organisation.name)
    .bind(&organisation.privacy_officer_email)
    .execute(executor)
    .await?;
    Ok(())
}
