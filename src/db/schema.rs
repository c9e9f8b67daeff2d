// The tables of migrations/{sqlite,postgres}; one schema serves both backends.

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        name -> Text,
        timezone -> Text,
        role -> Text,
        active -> Bool,
        created_at -> Timestamp,
        gitlab_id -> Nullable<BigInt>,
        password_hash -> Nullable<Text>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        label -> Text,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    shifts (id) {
        id -> Text,
        user_id -> Text,
        role -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        created_at -> Timestamp,
        import_uid -> Nullable<Text>,
        updated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    handoffs (id) {
        id -> Text,
        kind -> Text,
        title -> Text,
        severity -> Integer,
        status -> Text,
        confidential -> Bool,
        holder_id -> Text,
        pending_to_id -> Nullable<Text>,
        pending_since -> Nullable<Timestamp>,
        pending_note_id -> Nullable<Text>,
        created_by_id -> Text,
        dl_scope -> Nullable<Text>,
        dl_recovery_point -> Nullable<Text>,
        dl_verification -> Nullable<Text>,
        dl_customers_notified -> Nullable<Bool>,
        latest_note_excerpt -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_activity_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        version -> Integer,
    }
}

diesel::table! {
    notes (id) {
        id -> Text,
        handoff_id -> Text,
        author_id -> Text,
        body -> Text,
        body_html -> Text,
        pass_to_id -> Nullable<Text>,
        acknowledged_at -> Nullable<Timestamp>,
        resolves -> Bool,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    note_revisions (id) {
        id -> Text,
        note_id -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    issue_links (id) {
        id -> Text,
        handoff_id -> Text,
        note_id -> Nullable<Text>,
        project -> Text,
        iid -> BigInt,
    }
}

diesel::table! {
    handovers (id) {
        id -> Text,
        from_user_id -> Text,
        to_user_id -> Text,
        summary -> Text,
        handoff_count -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        method -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        action -> Text,
        actor -> Text,
        subject -> Text,
        address -> Text,
        detail -> Text,
    }
}

diesel::table! {
    signin_attempts (id) {
        id -> Text,
        username -> Text,
        address -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    gitlab_issues (project, iid) {
        project -> Text,
        iid -> BigInt,
        title -> Text,
        state -> Text,
        labels -> Text,
        milestone -> Nullable<Text>,
        assignees -> Text,
        confidential -> Bool,
        web_url -> Text,
        gitlab_created_at -> Nullable<Timestamp>,
        gitlab_updated_at -> Nullable<Timestamp>,
        fetched_at -> Timestamp,
        last_activity_at -> Nullable<Timestamp>,
        watched -> Bool,
        milestone_id -> Nullable<BigInt>,
        milestone_starts_at -> Nullable<Timestamp>,
        milestone_added_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    gitlab_issue_labels (project, iid, label) {
        project -> Text,
        iid -> BigInt,
        label -> Text,
    }
}

diesel::table! {
    gitlab_status (name) {
        name -> Text,
        unavailable_since -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        inventory_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    job_leases (name) {
        name -> Text,
        owner -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    drills (id) {
        id -> Text,
        started_at -> Timestamp,
        actor -> Text,
        backend -> Text,
        schema_version -> Text,
        passed -> Bool,
        failed_step -> Nullable<Text>,
        failure -> Nullable<Text>,
        archive_bytes -> Nullable<BigInt>,
        row_count -> Nullable<BigInt>,
        backup_ms -> Nullable<BigInt>,
        restore_ms -> Nullable<BigInt>,
        verify_ms -> Nullable<BigInt>,
        render_ms -> Nullable<BigInt>,
        cleanup_ms -> Nullable<BigInt>,
        total_ms -> BigInt,
    }
}

diesel::table! {
    events (id) {
        id -> Text,
        kind -> Text,
        title -> Text,
        body -> Text,
        body_html -> Text,
        author_id -> Text,
        handoff_id -> Nullable<Text>,
        corrects_id -> Nullable<Text>,
        occurred_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    chat_outbox (id) {
        id -> Text,
        idem_key -> Text,
        target -> Text,
        handoff_id -> Text,
        note_id -> Nullable<Text>,
        event -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        created_at -> Timestamp,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_expires_at -> Nullable<Timestamp>,
        last_attempt_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    event_issues (id) {
        id -> Text,
        event_id -> Text,
        project -> Text,
        iid -> BigInt,
    }
}

diesel::table! {
    rotations (id) {
        id -> Text,
        name -> Text,
        role -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    rotation_plans (id) {
        id -> Text,
        rotation_id -> Text,
        effective_from -> Timestamp,
        starts_at -> Timestamp,
        rhythm -> Text,
        members -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    calendar_feeds (id) {
        id -> Text,
        user_id -> Text,
        kind -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    chat_handles (user_id) {
        user_id -> Text,
        handle -> Text,
    }
}

diesel::table! {
    pass_escalations (note_id) {
        note_id -> Text,
        handoff_id -> Text,
        count -> Integer,
        escalated_at -> Timestamp,
        escalated_to_id -> Nullable<Text>,
    }
}

diesel::table! {
    cover_requests (id) {
        id -> Text,
        requester_id -> Text,
        role -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        status -> Text,
        created_by_id -> Text,
        created_at -> Timestamp,
        taken_by_id -> Nullable<Text>,
        taken_at -> Nullable<Timestamp>,
        assigned_by_id -> Nullable<Text>,
        shift_id -> Nullable<Text>,
        cancelled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    schedule_notices (id) {
        id -> Text,
        user_id -> Text,
        cause -> Text,
        changes -> Text,
        created_at -> Timestamp,
        dismissed_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(calendar_feeds -> users (user_id));
diesel::joinable!(rotation_plans -> rotations (rotation_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(shifts -> users (user_id));
diesel::joinable!(notes -> handoffs (handoff_id));
diesel::joinable!(issue_links -> handoffs (handoff_id));
diesel::joinable!(events -> users (author_id));
diesel::joinable!(event_issues -> events (event_id));
diesel::joinable!(schedule_notices -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    api_tokens,
    shifts,
    handoffs,
    notes,
    note_revisions,
    issue_links,
    handovers,
    settings,
    sessions,
    audit_log,
    signin_attempts,
    gitlab_issues,
    gitlab_issue_labels,
    gitlab_status,
    webhook_deliveries,
    job_leases,
    drills,
    events,
    event_issues,
    rotations,
    rotation_plans,
    calendar_feeds,
    chat_outbox,
    pass_escalations,
    chat_handles,
    cover_requests,
    schedule_notices,
);
