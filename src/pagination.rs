//! One page of a list: the page number a visitor asked for, and that number clamped to the pages
//! there are. Every paginated list (pages, inbox, audit log, search) goes through `Pagination`,
//! so no list computes an offset from an unchecked number.

use serde::{Deserialize, Deserializer};

/// `?page=` as asked for: anything that is not a positive whole number (empty, negative, huge,
/// garbage) is page 1, so a hand-edited URL never fails to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageNumber(pub usize);

impl Default for PageNumber {
    fn default() -> Self {
        PageNumber(1)
    }
}

impl<'de> Deserialize<'de> for PageNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Ok(PageNumber::parse(&raw))
    }
}

impl PageNumber {
    pub fn parse(raw: &str) -> PageNumber {
        match raw.trim().parse::<usize>() {
            Ok(n) if n >= 1 => PageNumber(n),
            // Past usize: the last page, whatever it is (clamped below).
            Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => PageNumber(usize::MAX),
            _ => PageNumber(1),
        }
    }
}

/// Where a list is: the page shown (1-based, always within `1..=pages`) of `pages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pagination {
    pub page: usize,
    pub pages: usize,
    pub per_page: usize,
}

impl Pagination {
    /// The page asked for, clamped to the pages that `total` items fill (at least one, empty).
    pub fn new(asked: PageNumber, total: usize, per_page: usize) -> Pagination {
        let per_page = per_page.max(1);
        let pages = total.div_ceil(per_page).max(1);
        Pagination {
            page: asked.0.clamp(1, pages),
            pages,
            per_page,
        }
    }

    /// How many items come before this page.
    pub fn offset(&self) -> usize {
        (self.page - 1) * self.per_page
    }

    /// The offset and limit for a database query.
    pub fn window(&self) -> (i64, i64) {
        let to_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        (to_i64(self.offset()), to_i64(self.per_page))
    }

    /// This page's items of a list held in memory.
    pub fn slice<T>(&self, items: Vec<T>) -> Vec<T> {
        items
            .into_iter()
            .skip(self.offset())
            .take(self.per_page)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_page_number_is_clamped_to_the_pages_there_are() {
        for (raw, want) in [
            ("", 1),
            ("0", 1),
            ("-3", 1),
            ("abc", 1),
            ("2", 2),
            (" 3 ", 3),
            ("999", 4),
            ("18446744073709551615", 4),
            ("307445734561825862", 4),
            ("99999999999999999999999999", 4),
        ] {
            let p = Pagination::new(PageNumber::parse(raw), 31, 10);
            assert_eq!((p.page, p.pages), (want, 4), "page={raw:?}");
        }
        let last = Pagination::new(PageNumber(usize::MAX), 31, 10);
        assert_eq!(last.window(), (30, 10));
        assert_eq!(last.slice((0..31).collect()), vec![30]);
    }

    #[test]
    fn an_empty_list_is_one_empty_page() {
        let p = Pagination::new(PageNumber(7), 0, 50);
        assert_eq!((p.page, p.pages, p.offset()), (1, 1, 0));
    }
}
