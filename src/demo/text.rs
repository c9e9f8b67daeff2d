//! The words of the demo: titles, note bodies rendered once each, and how
//! a body names its handoff's incident issue.

use crate::db::models::handoffs::Rendered;
use crate::domain::issue_ref::{GitLab, IssueRef};

/// The issue number that note templates carry until a handoff's own is substituted.
const SENTINEL: &str = "999999999";

/// The project of every demo handoff's incident issue.
pub(super) const PROJECT: &str = "gitlab-com/gl-infra/production";

/// Titles, combined with a component to vary them.
pub(super) const TITLES: &[&str] = &[
    "Patroni failover loop on",
    "Elevated 5xx rate on",
    "Replication lag over 30 s on",
    "Disk almost full on",
    "Sidekiq queue backlog on",
    "Certificate expiring on",
    "Latency regression after deploy on",
    "Connection pool saturation on",
    "Intermittent 502s from",
    "Memory leak suspected in",
];

/// What a title is about.
pub(super) const COMPONENTS: &[&str] = &[
    "the main database cluster",
    "the container registry",
    "git storage shard 7",
    "the CI runners",
    "the API fleet",
    "the web fleet",
    "object storage uploads",
    "the Redis cache cluster",
    "Pages",
    "the search cluster",
];

pub(super) const DATA_LOSS_TITLES: &[&str] = &[
    "Uploads missing for some projects after migration",
    "CI artifacts possibly deleted by cleanup job",
    "Wiki pages reverted on one storage shard",
    "Merge request diffs unreadable for a few projects",
];

/// Note bodies; `999999999` becomes the handoff's incident issue.
const NOTE_TEMPLATES: &[&str] = &[
    "Checked the dashboards again: error rate back under 0.1 %, but the p99 is still twice the baseline. Leaving the alert silenced until 18:00 UTC.",
    "**Current state:** mitigated, not fixed.\n\n- traffic drained from the bad node\n- replica rebuilt from the last snapshot\n- follow-up in gitlab-com/gl-infra/production#999999999\n\nNext: confirm with the database team before re-enabling.",
    "Rolled back the last deploy; see gitlab-com/gl-infra/production#999999999 for the timeline. Watching for another 30 minutes.",
    "Nothing new in the last hour. The vendor ticket is still open; they promised an answer by their morning.",
    "Ran `gitlab-ctl status` on all nodes: everything up. The spike lines up with the nightly backup, so I suspect I/O contention.",
    "Opened a change request to raise the pool size from 20 to 40. It needs a second reviewer before it can go out.",
    "Customer reports are down to one or two an hour. Support has the macro and links to gitlab-com/gl-infra/production#999999999.",
    "Paged the owning team; they are looking at the query plan. I added the slow query log excerpt to the issue.",
    "1. drained the canary\n2. restarted the workers\n3. error budget for the week is 40 % spent\n\nStill flapping every ~20 minutes.",
    "Status page updated. Next update due in one hour; whoever holds this please post it.",
];

/// Bodies of passing notes.
const PASS_TEMPLATES: &[&str] = &[
    "Handing this over for the next shift. Summary: mitigated, watch the error rate; the runbook is linked in gitlab-com/gl-infra/production#999999999.",
    "End of my shift: nothing urgent left, but keep an eye on the replication lag graph. Please acknowledge when you have it.",
    "Passing this on: the fix is merged, deploy to production is scheduled for the next window.",
];

/// Bodies of closing notes.
const RESOLVE_TEMPLATES: &[&str] = &[
    "Resolved: root cause was a misconfigured connection limit; fixed and verified for 24 h. Post-incident review in gitlab-com/gl-infra/production#999999999.",
    "No recurrence in two days. Closing; the follow-up work is tracked in the corrective actions.",
    "Resolved after the vendor fix. Alerts back to normal thresholds.",
];

/// What each demo handover says.
pub(super) const HANDOVER_SUMMARY: &str = "Quiet shift apart from the **registry** errors. \
Watch the replication lag dashboard; the runbook step 3 is done.";

/// The issue number of [`SENTINEL`].
const SENTINEL_IID: u64 = 999_999_999;

/// A note body, rendered once.
pub(super) struct Template {
    body: String,
    rendered: Rendered,
    /// Whether the text holds the sentinel.
    substitutes: bool,
}

impl Template {
    fn new(body: &str, gitlab: &GitLab) -> Template {
        Template {
            body: body.to_owned(),
            rendered: Rendered::of(body, gitlab),
            substitutes: body.contains(SENTINEL),
        }
    }

    /// The text for a handoff whose incident issue is `incident`: the
    /// sentinel becomes its number in the Markdown, the HTML and the
    /// references (what rendering the substituted text gives; a test checks).
    pub(super) fn for_incident(&self, incident: &IssueRef) -> (String, Rendered) {
        if !self.substitutes {
            return (self.body.clone(), self.rendered.clone());
        }
        let iid = incident.iid().to_string();
        let refs = self
            .rendered
            .refs
            .iter()
            .map(|r| {
                if r.iid() == SENTINEL_IID && r.project() == incident.project() {
                    incident.clone()
                } else {
                    r.clone()
                }
            })
            .collect();
        let rendered = Rendered {
            html: self.rendered.html.replace(SENTINEL, &iid),
            refs,
        };
        (self.body.replace(SENTINEL, &iid), rendered)
    }
}

/// Every note body, rendered.
pub(super) struct Templates {
    pub(super) notes: Vec<Template>,
    pub(super) passes: Vec<Template>,
    pub(super) resolves: Vec<Template>,
}

impl Templates {
    pub(super) fn new(gitlab: &GitLab) -> Templates {
        let make = |bodies: &[&str]| bodies.iter().map(|b| Template::new(b, gitlab)).collect();
        Templates {
            notes: make(NOTE_TEMPLATES),
            passes: make(PASS_TEMPLATES),
            resolves: make(RESOLVE_TEMPLATES),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_substituted_template_is_what_rendering_the_note_would_give() {
        let gitlab = GitLab::new("https://gitlab.com", None).expect("gitlab");
        let templates = Templates::new(&gitlab);
        let incident = IssueRef::new(PROJECT, 10042).expect("issue");
        let all = templates
            .notes
            .iter()
            .chain(&templates.passes)
            .chain(&templates.resolves);
        let mut substituted = 0;
        for t in all {
            let (body, rendered) = t.for_incident(&incident);
            assert_eq!(rendered, Rendered::of(&body, &gitlab), "{body}");
            if t.substitutes {
                assert!(rendered.refs.contains(&incident), "{body}");
                substituted += 1;
            }
        }
        assert!(substituted >= 3);
    }
}
