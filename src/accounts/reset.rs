//! Password resets by e-mail, and the notices that tell people about their account: a link that
//! sets a new password (queued through the outbox, never sent while the visitor waits), "your
//! password was changed", and "a new sign-in". A reset request looks the same whether or not the
//! account exists, and is rate-limited per account and per address in the database.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::accounts::{invites, throttle, users};
use crate::audit::{self, Actor};
use crate::db::DbConnection;
use crate::db::schema::known_devices;
use crate::outbox::{self, NewMail};

/// Reset requests allowed per account, and per address, before they are refused for a while.
pub const ACCOUNT_LIMIT: i32 = 3;
pub const ADDRESS_LIMIT: i32 = 10;

/// A sign-in from an address and browser not seen for this long is a new device.
pub const NEW_DEVICE_AFTER: Duration = Duration::days(90);

/// The site as e-mails name it.
pub struct Site {
    pub name: String,
    pub base_url: String,
}

impl Site {
    /// An account e-mail from this site to `recipient` (not to be replied to).
    pub fn mail(&self, recipient: &str, subject: &str, body: String) -> NewMail {
        NewMail {
            recipient: recipient.to_owned(),
            reply_to: String::new(),
            subject: format!("[{}] {subject}", self.name),
            body,
        }
    }

    /// The site's name and address, when e-mail can be sent at all.
    pub fn for_mail(state: &crate::state::AppState) -> Option<Site> {
        state.mailer.as_ref()?;
        let snapshot = state.site.current();
        Some(Site {
            name: snapshot.settings.site_name.clone(),
            base_url: snapshot.base_url.clone(),
        })
    }
}

/// Queues a reset link for the account with `email`, if there is one (and it is enabled) and the
/// limits allow; otherwise does nothing. Either way the visitor is told the same.
pub fn request(
    conn: &mut DbConnection,
    email: &str,
    ip: &str,
    site: &Site,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let email = users::normalise_email(email);
    let (account, address) = (format!("reset:email:{email}"), format!("reset:ip:{ip}"));
    let keys = [
        (account.as_str(), ACCOUNT_LIMIT),
        (address.as_str(), ADDRESS_LIMIT),
    ];
    let visitor = Actor {
        user_id: None,
        name: email.clone(),
        ip: ip.to_owned(),
    };
    if throttle::admit(conn, &keys, now)?.is_err() {
        return audit::record(conn, &visitor, "password.reset-throttled", &email, now);
    }
    let Some(user) = users::find_by_email(conn, &email)?.filter(|u| !u.disabled) else {
        // A write as well, so that the answer does not come sooner for an unknown address.
        return crate::db::write(conn, |c| {
            audit::record(c, &visitor, "password.reset-unknown", &email, now)
        });
    };
    crate::db::write(conn, |c| {
        let token = invites::create_for(c, user.id, invites::RESET_LIFETIME, now)?;
        let link = format!("{}/account/set-password/{token}", site.base_url);
        let mail = site.mail(
            &user.email,
            "Set a new password",
            format!(
                "Someone (we hope you) asked to set a new password for {} on {}.\n\n\
                 This link sets it; it works once, for the next {} minutes:\n\n{link}\n\n\
                 If you did not ask, ignore this e-mail: your password stays as it is.\n",
                user.email,
                site.name,
                invites::RESET_LIFETIME.num_minutes(),
            ),
        );
        outbox::enqueue(c, None, &mail, now)?;
        audit::record(c, &visitor, "password.reset-requested", &user.email, now)
    })
}

/// "Your password was changed", for `email`.
pub fn password_changed(email: &str, site: &Site) -> NewMail {
    site.mail(
        email,
        "Your password was changed",
        format!(
            "The password of {email} on {} was just changed, and every session of the account \
             was signed out.\n\nIf this was not you, ask an administrator of the site to lock \
             the account and reset it: {}/login\n",
            site.name, site.base_url,
        ),
    )
}

/// Records that `user_id` signed in from this address and browser, and, when e-mail is on
/// (`site`), queues "a new sign-in" if the account had signed in before but not from these
/// within `NEW_DEVICE_AFTER`. The first sign-in of an account is its owner's, from the first
/// device there is: not news. Devices are recorded with e-mail off too, so turning it on later
/// does not make every device look new.
pub fn sign_in_from(
    conn: &mut DbConnection,
    user_id: i32,
    email: &str,
    ip: &str,
    user_agent: &str,
    site: Option<&Site>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let user_agent: String = user_agent.chars().take(300).collect();
    crate::db::write(conn, |c| {
        let seen: Vec<(String, String, NaiveDateTime)> = known_devices::table
            .filter(known_devices::user_id.eq(user_id))
            .select((
                known_devices::ip,
                known_devices::user_agent,
                known_devices::last_seen_at,
            ))
            .load(c)?;
        let known = seen
            .iter()
            .any(|(i, ua, at)| i == ip && *ua == user_agent && *at > now - NEW_DEVICE_AFTER);
        let this = (
            known_devices::user_id.eq(user_id),
            known_devices::ip.eq(ip),
            known_devices::user_agent.eq(&user_agent),
            known_devices::last_seen_at.eq(now),
        );
        crate::with_backend!(c, |b| diesel::insert_into(known_devices::table)
            .values(this)
            .on_conflict((
                known_devices::user_id,
                known_devices::ip,
                known_devices::user_agent,
            ))
            .do_update()
            .set(known_devices::last_seen_at.eq(now))
            .execute(b))?;
        let Some(site) = site.filter(|_| !known && !seen.is_empty()) else {
            return Ok(());
        };
        let device = crate::accounts::views::describe_agent(&user_agent);
        let mail = site.mail(
            email,
            &format!("New sign-in from {device}"),
            format!(
                "Your account {email} on {} was just signed in to from {device} at the address \
                 {ip}, which it had not used lately.\n\nIf this was you, there is nothing to do. \
                 If not, change your password (My account, {}/admin/account) and sign out the \
                 sessions you do not know.\n",
                site.name, site.base_url,
            ),
        );
        outbox::enqueue(c, None, &mail, now)
    })
}

/// A change to how the account signs in (two-factor on or off, new recovery codes), told to its
/// owner: if it was not them, they know at once.
pub fn sign_in_changed(email: &str, what: &str, site: &Site) -> NewMail {
    site.mail(
        email,
        what,
        format!(
            "{what} for your account {email} on {}.\n\nIf this was not you, sign in and \
             change your password at once ({}/admin/account), or ask an administrator of the \
             site to lock the account.\n",
            site.name, site.base_url,
        ),
    )
}
