//! The cached issues' labels one to a row (`gitlab_issue_labels`, in lower
//! case), written with each issue, so that lists filter by label in the
//! database.

use std::collections::BTreeSet;

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::gitlab_issue_labels;
use crate::domain::issue_filter::label_key;

/// Makes the rows of the issue `project`#`iid` (its key) be `labels`.
pub fn replace(
    conn: &mut DbConnection,
    project: &str,
    iid: i64,
    labels: &[String],
) -> QueryResult<()> {
    diesel::delete(
        gitlab_issue_labels::table
            .filter(gitlab_issue_labels::project.eq(project))
            .filter(gitlab_issue_labels::iid.eq(iid)),
    )
    .execute(conn)?;
    let keys: BTreeSet<String> = labels.iter().map(|l| label_key(l)).collect();
    for label in keys {
        diesel::insert_into(gitlab_issue_labels::table)
            .values((
                gitlab_issue_labels::project.eq(project),
                gitlab_issue_labels::iid.eq(iid),
                gitlab_issue_labels::label.eq(label),
            ))
            .execute(conn)?;
    }
    Ok(())
}
