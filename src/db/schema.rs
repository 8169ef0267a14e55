// Portable types only: the same schema serves SQLite and PostgreSQL.

diesel::table! {
    users (id) {
        id -> Integer,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        totp_secret -> Nullable<Text>,
        totp_last_step -> Nullable<BigInt>,
        display_name -> Text,
    }
}

diesel::table! {
    known_devices (user_id, ip, user_agent) {
        user_id -> Integer,
        ip -> Text,
        user_agent -> Text,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> Integer,
        user_id -> Integer,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    pages (id) {
        id -> Integer,
        parent_id -> Nullable<Integer>,
        slug -> Text,
        path -> Text,
        title -> Text,
        summary -> Text,
        seo_title -> Nullable<Text>,
        body_md -> Text,
        body_html -> Text,
        toc_html -> Text,
        faq_json -> Text,
        renderer_version -> Integer,
        status -> Text,
        publish_at -> Nullable<Timestamp>,
        nav_order -> Integer,
        in_nav -> Bool,
        version -> Integer,
        author_id -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        search_title -> Text,
        search_body -> Text,
        body_text -> Text,
        related_pins -> Text,
        image_id -> Nullable<Integer>,
        image_json -> Text,
        unpublish_at -> Nullable<Timestamp>,
        trash_id -> Nullable<Integer>,
        trashed_path -> Nullable<Text>,
        owner_id -> Nullable<Integer>,
    }
}

diesel::table! {
    page_reviews (id) {
        id -> Integer,
        page_id -> Integer,
        version -> Integer,
        kind -> Text,
        message -> Text,
        user_id -> Nullable<Integer>,
        user_name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    leases (name) {
        name -> Text,
        holder -> Nullable<Text>,
        locked_until -> Nullable<Timestamp>,
        last_done_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    page_review_states (page_id) {
        page_id -> Integer,
        state -> Text,
    }
}

diesel::table! {
    page_stages (page_id) {
        page_id -> Integer,
        form -> Text,
        base_version -> Integer,
        user_id -> Nullable<Integer>,
        saved_at -> Timestamp,
    }
}

diesel::table! {
    autosaves (user_id, page_key) {
        user_id -> Integer,
        page_key -> Integer,
        form -> Text,
        saved_at -> Timestamp,
    }
}

diesel::table! {
    trash (id) {
        id -> Integer,
        kind -> Text,
        page_id -> Nullable<Integer>,
        media_id -> Nullable<Integer>,
        title -> Text,
        path -> Text,
        pages -> Integer,
        deleted_by -> Nullable<Integer>,
        deleted_by_name -> Text,
        deleted_at -> Timestamp,
    }
}

diesel::table! {
    blobs (hash) {
        hash -> Text,
        bytes -> Binary,
        byte_size -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    media (id) {
        id -> Integer,
        kind -> Text,
        mime -> Text,
        ext -> Text,
        title -> Text,
        alt -> Text,
        caption -> Text,
        credit -> Text,
        file_name -> Text,
        name -> Text,
        byte_size -> BigInt,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        focal_x -> Integer,
        focal_y -> Integer,
        version -> Integer,
        blob_hash -> Text,
        original_hash -> Text,
        uploader_id -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        trash_id -> Nullable<Integer>,
    }
}

diesel::table! {
    renditions (media_id, version, spec, format) {
        media_id -> Integer,
        version -> Integer,
        spec -> Text,
        format -> Text,
        blob_hash -> Text,
        width -> Integer,
        height -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    rendition_jobs (id) {
        id -> Integer,
        media_id -> Integer,
        version -> Integer,
        spec -> Text,
        format -> Text,
        attempts -> Integer,
        locked_until -> Nullable<Timestamp>,
        lock_token -> Nullable<Text>,
        last_error -> Text,
        done_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    menu_items (id) {
        id -> Integer,
        menu -> Text,
        kind -> Text,
        page_id -> Nullable<Integer>,
        url -> Text,
        label -> Text,
        position -> Integer,
    }
}

diesel::table! {
    media_usages (page_id, media_id) {
        page_id -> Integer,
        media_id -> Integer,
    }
}

diesel::table! {
    page_lists (page_id) {
        page_id -> Integer,
        backlinks_json -> Text,
        related_json -> Text,
    }
}

diesel::table! {
    page_links (from_id, to_path) {
        from_id -> Integer,
        to_path -> Text,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    site_state (id) {
        id -> Integer,
        content_version -> BigInt,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Integer,
        user_id -> Integer,
        name -> Text,
        token_hash -> Text,
        hint -> Text,
        scopes -> Text,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_idempotency (token_id, key) {
        token_id -> Integer,
        key -> Text,
        request_hash -> Text,
        status -> Integer,
        location -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(pages -> users (author_id));
diesel::joinable!(api_tokens -> users (user_id));

diesel::table! {
    sessions (id) {
        id -> Integer,
        key_hash -> Text,
        user_id -> Nullable<Integer>,
        sid -> Text,
        state -> Text,
        user_agent -> Text,
        ip -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> Integer,
        locked_until -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    page_revisions (id) {
        id -> Integer,
        page_id -> Integer,
        version -> Integer,
        title -> Text,
        slug -> Text,
        summary -> Text,
        body_md -> Text,
        status -> Text,
        publish_at -> Nullable<Timestamp>,
        author_id -> Nullable<Integer>,
        note -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    redirects (id) {
        id -> Integer,
        from_path -> Text,
        to_path -> Text,
        hits -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Integer,
        at -> Timestamp,
        user_id -> Nullable<Integer>,
        actor -> Text,
        action -> Text,
        target -> Text,
        ip -> Text,
    }
}

diesel::table! {
    password_tokens (id) {
        id -> Integer,
        token_hash -> Text,
        user_id -> Integer,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    contact_submissions (id) {
        id -> Integer,
        name -> Text,
        email -> Text,
        subject -> Text,
        message -> Text,
        ip -> Text,
        user_agent -> Text,
        status -> Text,
        spam_reason -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> Integer,
        submission_id -> Nullable<Integer>,
        recipient -> Text,
        reply_to -> Text,
        subject -> Text,
        body -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        lock_token -> Nullable<Text>,
        last_error -> Text,
        sent_at -> Nullable<Timestamp>,
        gave_up_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(outbox -> contact_submissions (submission_id));
diesel::joinable!(page_links -> pages (from_id));
diesel::joinable!(page_lists -> pages (page_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(page_revisions -> pages (page_id));
diesel::joinable!(page_revisions -> users (author_id));
diesel::joinable!(audit_log -> users (user_id));
diesel::joinable!(password_tokens -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(known_devices -> users (user_id));
diesel::joinable!(media -> users (uploader_id));
diesel::joinable!(renditions -> media (media_id));
diesel::joinable!(rendition_jobs -> media (media_id));
diesel::joinable!(media_usages -> media (media_id));
diesel::joinable!(media_usages -> pages (page_id));
diesel::joinable!(menu_items -> pages (page_id));
diesel::joinable!(page_review_states -> pages (page_id));

diesel::table! {
    webhooks (id) {
        id -> Integer,
        url -> Text,
        events -> Text,
        secret_sealed -> Text,
        enabled -> Bool,
        disabled_reason -> Text,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Integer,
        webhook_id -> Integer,
        event -> Text,
        object_kind -> Text,
        object_id -> Integer,
        delivery_id -> Text,
        dedupe_key -> Nullable<Text>,
        body -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        lock_token -> Nullable<Text>,
        last_status -> Nullable<Integer>,
        last_duration_ms -> Nullable<Integer>,
        last_error -> Text,
        last_attempt_at -> Nullable<Timestamp>,
        delivered_at -> Nullable<Timestamp>,
        gave_up_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    pages,
    settings,
    site_state,
    sessions,
    login_throttle,
    page_revisions,
    redirects,
    audit_log,
    password_tokens,
    contact_submissions,
    outbox,
    page_links,
    page_lists,
    recovery_codes,
    known_devices,
    blobs,
    media,
    renditions,
    rendition_jobs,
    media_usages,
    menu_items,
    trash,
    autosaves,
    page_reviews,
    page_review_states,
    page_stages,
    leases,
    api_tokens,
    api_idempotency,
    webhooks,
    webhook_deliveries,
);
