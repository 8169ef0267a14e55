//! The computed part of "related pages": pages whose titles share words with a page's title,
//! best first (BM25 over the titles, words stemmed, ties by id). Worked out in memory from one
//! read of every title, so both backends give the same lists, and a whole site's lists (an
//! import's rebuild) take milliseconds: ten thousand title searches in the engines took seconds
//! on SQLite and most of a minute on PostgreSQL.

use std::collections::HashMap;

use diesel::prelude::*;
use rust_stemmers::{Algorithm, Stemmer};

use crate::db::DbConnection;
use crate::db::schema::pages;
use crate::search::query::{self, Query, Term};

// BM25's usual constants: how fast repeated words stop counting, and how much a long title
// is discounted.
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// Every page's title as the index holds it (`search_title`: folded to ASCII).
pub struct Titles {
    ids: Vec<i32>,
    lengths: Vec<u32>,
    average_length: f64,
    /// Each stemmed word: the titles holding it (positions in `ids`) and how often.
    postings: HashMap<String, Vec<(u32, u32)>>,
}

impl Titles {
    /// Every page's title, the trash's included (visibility is the caller's, when shown).
    pub fn load(conn: &mut DbConnection) -> QueryResult<Titles> {
        let rows: Vec<(i32, String)> = pages::table
            .select((pages::id, pages::search_title))
            .load(conn)?;
        Ok(Titles::new(rows.iter().map(|(id, t)| (*id, t.as_str()))))
    }

    pub fn new<'a>(titles: impl IntoIterator<Item = (i32, &'a str)>) -> Titles {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut index = Titles {
            ids: Vec::new(),
            lengths: Vec::new(),
            average_length: 0.0,
            postings: HashMap::new(),
        };
        for (id, title) in titles {
            let at = index.ids.len() as u32;
            let mut counts: HashMap<String, u32> = HashMap::new();
            let mut length = 0;
            for word in title
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
            {
                length += 1;
                *counts
                    .entry(stemmer.stem(&word.to_ascii_lowercase()).into_owned())
                    .or_default() += 1;
            }
            for (word, count) in counts {
                index.postings.entry(word).or_default().push((at, count));
            }
            index.ids.push(id);
            index.lengths.push(length);
        }
        let total: u64 = index.lengths.iter().map(|l| u64::from(*l)).sum();
        index.average_length = total as f64 / index.ids.len().max(1) as f64;
        index
    }

    /// The pages sharing words of three letters or more with `title`, best first, `id` itself
    /// left out.
    pub fn related(&self, id: i32, title: &str, limit: usize) -> Vec<i32> {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut words: Vec<String> = Query::suggestions_for(title)
            .terms
            .iter()
            .filter_map(|t| match t {
                Term::Word(w) => Some(stemmer.stem(&query::fold(w)).into_owned()),
                Term::Phrase(_) => None,
            })
            .collect();
        words.sort_unstable();
        words.dedup();
        let n = self.ids.len() as f64;
        let mut scores: HashMap<u32, f64> = HashMap::new();
        for list in words.iter().filter_map(|w| self.postings.get(w)) {
            let holding = list.len() as f64;
            let idf = (1.0 + (n - holding + 0.5) / (holding + 0.5)).ln();
            for &(at, count) in list {
                let f = f64::from(count);
                let norm = 1.0 - B + B * f64::from(self.lengths[at as usize]) / self.average_length;
                *scores.entry(at).or_default() += idf * f * (K1 + 1.0) / (f + K1 * norm);
            }
        }
        let mut ranked: Vec<(f64, i32)> = scores
            .into_iter()
            .map(|(at, score)| (score, self.ids[at as usize]))
            .filter(|(_, other)| *other != id)
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.truncate(limit);
        ranked.into_iter().map(|(_, id)| id).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Titles;

    #[test]
    fn shared_stemmed_words_rank_rarer_and_shorter_first() {
        let titles = Titles::new([
            (1, "caching guide"),
            (2, "the cache"),
            (3, "guide"),
            (4, "a guide to guides for caches and more"),
            (5, "unrelated"),
            (6, "guide two"),
        ]);
        // "cache" is rarer than "guide": both cache titles first, the short one before the long.
        assert_eq!(titles.related(1, "Caching guide", 9), vec![2, 4, 3, 6]);
        assert_eq!(titles.related(5, "Unrelated", 9), Vec::<i32>::new());
        // Words under three letters never relate pages; the page itself is never its own.
        assert_eq!(titles.related(3, "A guide", 2), vec![1, 6]);
        assert!(titles.related(9, "of to", 9).is_empty());
    }
}
