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

diesel::joinable!(pages -> users (author_id));

diesel::allow_tables_to_appear_in_same_query!(users, pages, settings, site_state);
