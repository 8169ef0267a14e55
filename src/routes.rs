//! The one URL map of the whole site.

use actix_session::SessionMiddleware;
use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{guard, web};

use crate::accounts::session_store::DbSessionStore;
use crate::accounts::{account_2fa, admin as accounts_admin, auth, second_step};
use crate::api::{admin as api_admin, read as api_read};
use crate::contact::{admin as contact_admin, public as contact_public};
use crate::content::{admin as content_admin, public as content_public};
use crate::media::{admin as media_admin, public as media_public};
use crate::search::public as search_public;
use crate::site::{
    admin as site_admin, appearance, feed, health, navigation, sitemap, theme as site_theme,
};
use crate::web::assets;

/// `sessions` wraps the back office and sign-in only: public pages never load a session.
pub fn configure(cfg: &mut web::ServiceConfig, sessions: &SessionMiddleware<DbSessionStore>) {
    let read = || web::route().guard(guard::Any(guard::Get()).or(guard::Head()));
    cfg.service(web::resource("/healthz").route(read().to(health::healthz)))
        .service(web::resource("/readyz").route(read().to(health::readyz)))
        .service(web::resource("/robots.txt").route(read().to(sitemap::robots)))
        .service(web::resource("/sitemap.xml").route(read().to(sitemap::sitemap_index)))
        // Patterns with a variable part sit in scopes with a fixed prefix, so a page view, which
        // is checked against every route before it falls through to the default service, never
        // runs their regular expressions.
        .service(
            web::scope("/sitemaps")
                .service(web::resource("/{number}").route(read().to(sitemap::sitemap))),
        )
        .service(web::resource("/feed.xml").route(read().to(feed::feed)))
        .service(web::resource("/manifest.webmanifest").route(read().to(site_theme::manifest)))
        .service(
            web::scope("/theme")
                .service(web::resource("/{file}").route(read().to(site_theme::stylesheet))),
        )
        .service(
            web::scope("/media")
                .service(web::resource("/{id}").route(read().to(media_public::current)))
                .service(
                    web::resource("/{reference}/{spec}/{file}")
                        .route(read().to(media_public::serve)),
                ),
        )
        .service(web::resource("/search").route(read().to(search_public::search_page)))
        .service(
            web::scope("/static")
                .service(web::resource("/{name:.*}").route(read().to(assets::serve))),
        )
        .service(
            web::scope("/admin")
                // Signed-in pages must not linger in caches (or the back button after signing out).
                .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store")))
                .wrap(sessions.clone())
                .service(web::resource("").route(read().to(site_admin::dashboard)))
                .service(
                    web::resource("/pages")
                        .route(read().to(content_admin::list::list_pages))
                        .route(web::post().to(content_admin::editor::create_page)),
                )
                .service(
                    web::resource("/pages/new").route(read().to(content_admin::editor::new_page)),
                )
                .service(
                    web::resource("/pages/bulk").route(web::post().to(content_admin::list::bulk)),
                )
                .service(
                    web::resource("/pages/autosave")
                        .route(web::post().to(content_admin::autosave::autosave)),
                )
                .service(
                    web::resource("/pages/autosave/discard")
                        .route(web::post().to(content_admin::autosave::discard_autosave)),
                )
                .service(
                    web::resource("/pages/{id}")
                        .route(web::post().to(content_admin::editor::update_page)),
                )
                .service(
                    web::resource("/pages/{id}/edit")
                        .route(read().to(content_admin::editor::edit_page)),
                )
                .service(
                    web::resource("/pages/{id}/delete")
                        .route(read().to(content_admin::delete::confirm_delete))
                        .route(web::post().to(content_admin::delete::delete_page)),
                )
                .service(
                    web::resource("/pages/{id}/duplicate")
                        .route(web::post().to(content_admin::editor::duplicate_page)),
                )
                .service(
                    web::resource("/pages/{id}/submit")
                        .route(web::post().to(content_admin::review::submit)),
                )
                .service(
                    web::resource("/pages/{id}/review")
                        .route(read().to(content_admin::review::show)),
                )
                .service(
                    web::resource("/pages/{id}/approve")
                        .route(web::post().to(content_admin::review::approve)),
                )
                .service(
                    web::resource("/pages/{id}/request-changes")
                        .route(web::post().to(content_admin::review::request_changes)),
                )
                .service(
                    web::resource("/pages/{id}/stage/discard")
                        .route(web::post().to(content_admin::review::discard_stage)),
                )
                .service(web::resource("/reviews").route(read().to(content_admin::review::queue)))
                .service(
                    web::resource("/pages/{id}/revisions")
                        .route(read().to(content_admin::revisions::list_revisions)),
                )
                .service(
                    web::resource("/pages/{id}/revisions/{rev}")
                        .route(read().to(content_admin::revisions::show_revision)),
                )
                .service(
                    web::resource("/pages/{id}/revisions/{rev}/restore")
                        .route(web::post().to(content_admin::revisions::restore_revision)),
                )
                .service(
                    web::resource("/preview").route(web::post().to(content_admin::editor::preview)),
                )
                .service(web::resource("/trash").route(read().to(content_admin::trash::list)))
                .service(
                    web::resource("/trash/{id}/restore")
                        .route(web::post().to(content_admin::trash::restore)),
                )
                .service(
                    web::resource("/trash/{id}/delete")
                        .route(web::post().to(content_admin::trash::delete_forever)),
                )
                .service(
                    web::resource("/media")
                        .route(read().to(media_admin::list))
                        .route(web::post().to(media_admin::create)),
                )
                .service(
                    web::resource("/media/{id}")
                        .route(read().to(media_admin::show))
                        .route(web::post().to(media_admin::update)),
                )
                .service(
                    web::resource("/media/{id}/replace")
                        .route(web::post().to(media_admin::replace)),
                )
                .service(
                    web::resource("/media/{id}/delete").route(web::post().to(media_admin::delete)),
                )
                .service(
                    web::resource("/media/{id}/original").route(read().to(media_admin::original)),
                )
                .service(
                    web::resource("/links").route(read().to(content_admin::links::broken_links)),
                )
                .service(
                    web::resource("/redirects")
                        .route(read().to(content_admin::redirects::list_redirects))
                        .route(web::post().to(content_admin::redirects::create_redirect)),
                )
                .service(
                    web::resource("/redirects/{id}/delete")
                        .route(web::post().to(content_admin::redirects::delete_redirect)),
                )
                .service(
                    web::resource("/appearance")
                        .route(read().to(appearance::edit))
                        .route(web::post().to(appearance::update)),
                )
                .service(web::resource("/navigation").route(read().to(navigation::show)))
                .service(web::resource("/navigation/items").route(web::post().to(navigation::add)))
                .service(
                    web::resource("/navigation/take-over")
                        .route(web::post().to(navigation::take_over)),
                )
                .service(
                    web::resource("/navigation/items/{id}/move")
                        .route(web::post().to(navigation::move_item)),
                )
                .service(
                    web::resource("/navigation/items/{id}/delete")
                        .route(web::post().to(navigation::remove)),
                )
                .service(
                    web::resource("/settings")
                        .route(read().to(site_admin::edit_settings))
                        .route(web::post().to(site_admin::update_settings)),
                )
                .service(web::resource("/audit").route(read().to(site_admin::audit_log)))
                .service(
                    web::resource("/users")
                        .route(read().to(accounts_admin::list_users))
                        .route(web::post().to(accounts_admin::create_user)),
                )
                .service(web::resource("/users/new").route(read().to(accounts_admin::new_user)))
                .service(
                    web::resource("/users/{id}")
                        .route(read().to(accounts_admin::show_user))
                        .route(web::post().to(accounts_admin::change_user)),
                )
                .service(web::resource("/submissions").route(read().to(contact_admin::inbox)))
                .service(
                    web::resource("/submissions.csv").route(read().to(contact_admin::export_csv)),
                )
                .service(web::resource("/submissions/{id}").route(read().to(contact_admin::show)))
                .service(
                    web::resource("/submissions/{id}/status")
                        .route(web::post().to(contact_admin::set_status)),
                )
                .service(
                    web::resource("/submissions/{id}/delete")
                        .route(web::post().to(contact_admin::delete)),
                )
                .service(web::resource("/account").route(read().to(accounts_admin::account)))
                .service(
                    web::resource("/account/2fa")
                        .route(read().to(account_2fa::setup_form))
                        .route(web::post().to(account_2fa::enable)),
                )
                .service(
                    web::resource("/account/2fa/disable")
                        .route(web::post().to(account_2fa::disable)),
                )
                .service(
                    web::resource("/account/2fa/recovery-codes")
                        .route(web::post().to(account_2fa::renew_codes)),
                )
                .service(
                    web::resource("/account/2fa/recovery-codes.txt")
                        .route(web::post().to(account_2fa::download_codes)),
                )
                .service(
                    web::resource("/account/password")
                        .route(web::post().to(accounts_admin::change_password)),
                )
                .service(
                    web::resource("/account/sessions/{id}/end")
                        .route(web::post().to(accounts_admin::end_session)),
                )
                .service(
                    web::resource("/account/tokens")
                        .route(read().to(api_admin::list))
                        .route(web::post().to(api_admin::create)),
                )
                .service(
                    web::resource("/account/tokens/{id}/revoke")
                        .route(web::post().to(api_admin::revoke)),
                )
                .service(web::resource("/tokens").route(read().to(api_admin::all))),
        )
        // The JSON API: no session, tokens in `Authorization`; CORS for the listed origins.
        .service(
            web::scope("/api/v1")
                .wrap(actix_web::middleware::from_fn(crate::api::respond::cors))
                .service(web::resource("/pages").route(read().to(api_read::list)))
                .service(web::resource("/pages/by-path").route(read().to(api_read::by_path)))
                .service(web::resource("/pages/{id}").route(read().to(api_read::show)))
                .service(web::resource("/tree").route(read().to(api_read::tree)))
                .service(web::resource("/search").route(read().to(api_read::search)))
                .service(web::resource("/media/{id}").route(read().to(api_read::media)))
                .default_service(web::to(api_read::unknown)),
        )
        .service(
            web::resource("/login")
                .wrap(sessions.clone())
                .route(read().to(auth::login_form))
                .route(web::post().to(auth::login)),
        )
        .service(
            web::resource("/login/2fa")
                .wrap(sessions.clone())
                .route(read().to(second_step::form))
                .route(web::post().to(second_step::submit)),
        )
        .service(
            web::resource("/logout")
                .wrap(sessions.clone())
                .route(web::post().to(auth::logout)),
        )
        .service(
            web::resource("/password-reset")
                .wrap(sessions.clone())
                .route(read().to(auth::reset_form))
                .route(web::post().to(auth::request_reset)),
        )
        .service(
            web::scope("/account/set-password").service(
                web::resource("/{token}")
                    // The token is in the address: no page it links to may learn it.
                    .wrap(DefaultHeaders::new().add((header::REFERRER_POLICY, "no-referrer")))
                    .wrap(sessions.clone())
                    .route(read().to(auth::set_password_form))
                    .route(web::post().to(auth::set_password)),
            ),
        )
        .service(
            web::resource("/contact")
                .route(read().to(contact_public::show_form))
                .route(web::post().to(contact_public::submit)),
        )
        .service(web::resource("/contact/thanks").route(read().to(contact_public::thanks)))
        .service(web::resource("/").route(read().to(content_public::home)))
        // Every other path is a page path. The default service rather than a `/{path:.*}`
        // resource: matching that pattern ran a regular expression on every page view.
        .default_service(web::to(content_public::show_page));
}
