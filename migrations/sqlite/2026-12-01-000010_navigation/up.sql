-- The header and footer menus: a page (followed by id, so it moves and hides with the page), a hub
-- (shown with its children as a sub-menu) or a URL, each with an optional label, in order.
CREATE TABLE menu_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    menu TEXT NOT NULL CHECK (menu IN ('header', 'footer')),
    kind TEXT NOT NULL CHECK (kind IN ('page', 'hub', 'url')),
    page_id INTEGER REFERENCES pages(id) ON DELETE CASCADE,
    url TEXT NOT NULL DEFAULT '',
    label TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL
);
CREATE INDEX menu_items_menu ON menu_items (menu, position);
