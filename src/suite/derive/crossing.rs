//! Crossing: in which forms each probe of a rule is sent. A form takes one
//! level of each dimension (or leaves a dimension out); each probe allows some
//! levels of each.
//!
//! The default depth covers every pair of levels of two dimensions that some
//! probe allows (pairwise), and sends every probe at least once; the first row
//! is the common form (each dimension at its first allowed level). Rows are
//! built greedily, one at a time, each seeded with a pair not yet covered: the
//! count stays near the product of the two largest dimensions, and the work is
//! linear in the rows. Once every probe has a row, rows added for the remaining
//! pairs use the probes least sent, those that cannot place a call first.
//! The exhaustive depth sends every probe in every form it allows.

use std::collections::BTreeSet;

/// The levels one probe allows, per dimension (an empty list: the dimension is
/// left out of the request).
pub type Allowed = Vec<Vec<usize>>;

/// One case to build: the probe, and each dimension's level (`None`: left out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub probe: usize,
    pub levels: Vec<Option<usize>>,
}

/// How deep to cross. (Plain comments on the variants: doc comments would turn
/// every command's `--help` into the long form.)
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Depth {
    // Every pair of levels, every probe at least once.
    #[default]
    Default,
    // Every probe in every form.
    Exhaustive,
}

impl Depth {
    pub fn name(self) -> &'static str {
        match self {
            Depth::Default => "default",
            Depth::Exhaustive => "exhaustive",
        }
    }
}

/// The rows for `probes` (each its allowed levels per dimension, all of the
/// same dimensions). `calls[p]` says whether probe `p` may place a call.
pub fn rows(probes: &[Allowed], calls: &[bool], depth: Depth) -> Vec<Row> {
    match depth {
        Depth::Default => pairwise(probes, calls),
        Depth::Exhaustive => probes.iter().enumerate().flat_map(|(p, allowed)| product(p, allowed)).collect(),
    }
}

/// Every form one probe allows, the first dimension slowest.
fn product(probe: usize, allowed: &Allowed) -> Vec<Row> {
    let mut rows = vec![Row { probe, levels: Vec::with_capacity(allowed.len()) }];
    for levels in allowed {
        rows = if levels.is_empty() {
            rows.into_iter().map(|mut r| { r.levels.push(None); r }).collect()
        } else {
            rows.into_iter()
                .flat_map(|r| levels.iter().map(move |&l| { let mut r = r.clone(); r.levels.push(Some(l)); r }))
                .collect()
        };
    }
    rows
}

/// A pair of levels of two dimensions, the lower dimension first.
type Pair = (usize, usize, usize, usize);

fn pair(a: (usize, usize), b: (usize, usize)) -> Pair {
    if a.0 < b.0 { (a.0, a.1, b.0, b.1) } else { (b.0, b.1, a.0, a.1) }
}

fn pairs_of(levels: &[Option<usize>]) -> Vec<Pair> {
    let set: Vec<(usize, usize)> = levels.iter().enumerate().filter_map(|(d, l)| l.map(|l| (d, l))).collect();
    (0..set.len()).flat_map(|i| ((i + 1)..set.len()).map(move |j| (i, j))).map(|(i, j)| pair(set[i], set[j])).collect()
}

fn pairwise(probes: &[Allowed], calls: &[bool]) -> Vec<Row> {
    let mut uncovered: BTreeSet<Pair> = BTreeSet::new();
    for allowed in probes {
        for d1 in 0..allowed.len() {
            for d2 in (d1 + 1)..allowed.len() {
                for &l1 in &allowed[d1] {
                    uncovered.extend(allowed[d2].iter().map(|&l2| (d1, l1, d2, l2)));
                }
            }
        }
    }
    let mut sent = vec![0usize; probes.len()];
    let mut rows = Vec::new();
    let mut push = |row: Row, uncovered: &mut BTreeSet<Pair>, sent: &mut Vec<usize>| {
        for p in pairs_of(&row.levels) {
            uncovered.remove(&p);
        }
        sent[row.probe] += 1;
        rows.push(row);
    };
    if let Some(first) = probes.first() {
        let levels = first.iter().map(|l| l.first().copied()).collect();
        push(Row { probe: 0, levels }, &mut uncovered, &mut sent);
    }
    let allows = |p: usize, (d1, l1, d2, l2): Pair| probes[p][d1].contains(&l1) && probes[p][d2].contains(&l2);
    loop {
        let unsent = (0..probes.len()).find(|&p| sent[p] == 0);
        if unsent.is_none() && uncovered.is_empty() {
            break;
        }
        // A probe not sent yet goes first; then each row is seeded with the
        // first pair not covered, and takes the probe least sent that allows it,
        // one that cannot place a call first.
        let seed = uncovered.iter().copied().find(|&s| unsent.is_none_or(|p| allows(p, s)));
        let probe = unsent.or_else(|| {
            let s = seed?;
            (0..probes.len()).filter(|&p| allows(p, s)).min_by_key(|&p| (calls[p], sent[p], p))
        });
        match probe {
            Some(probe) => push(Row { probe, levels: fill(&probes[probe], seed, &uncovered) }, &mut uncovered, &mut sent),
            // Pairs no probe allows (they cannot occur: each came from a probe).
            None => uncovered.clear(),
        }
    }
    rows
}

/// A row for one probe: the seed's two levels, then each other dimension at
/// the level that covers the most new pairs with those set so far (on a tie,
/// the first).
fn fill(allowed: &Allowed, seed: Option<Pair>, uncovered: &BTreeSet<Pair>) -> Vec<Option<usize>> {
    let mut levels: Vec<Option<usize>> = vec![None; allowed.len()];
    if let Some((d1, l1, d2, l2)) = seed {
        levels[d1] = Some(l1);
        levels[d2] = Some(l2);
    }
    for d in 0..allowed.len() {
        if levels[d].is_some() {
            continue;
        }
        let gain = |l: usize| {
            let fixed = levels.iter().enumerate().filter_map(|(e, x)| x.map(|x| (e, x)));
            fixed.filter(|&other| uncovered.contains(&pair((d, l), other))).count()
        };
        levels[d] = allowed[d].iter().copied().rev().max_by_key(|&l| gain(l));
    }
    levels
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(levels: &[usize]) -> Allowed {
        levels.iter().map(|&n| (0..n).collect()).collect()
    }

    fn covers_every_pair(probes: &[Allowed], rows: &[Row]) -> bool {
        let sent: BTreeSet<Pair> = rows.iter().flat_map(|r| pairs_of(&r.levels)).collect();
        probes.iter().all(|allowed| {
            (0..allowed.len()).all(|d1| {
                ((d1 + 1)..allowed.len()).all(|d2| {
                    allowed[d1].iter().all(|&l1| allowed[d2].iter().all(|&l2| sent.contains(&(d1, l1, d2, l2))))
                })
            })
        })
    }

    #[test]
    fn pairwise_covers_every_pair_and_every_probe_in_few_rows() {
        let form = all(&[3, 2, 2, 2, 2, 2, 2]);
        let rows = rows(std::slice::from_ref(&form), &[false], Depth::Default);
        assert!(covers_every_pair(std::slice::from_ref(&form), &rows));
        assert_eq!(rows[0].levels, vec![Some(0); 7], "the common form first");
        assert!(rows.len() <= 9, "{} rows for 3x2^6 (the full product is 192)", rows.len());
        let probes = vec![form.clone(); 11];
        let rows = super::rows(&probes, &[false; 11], Depth::Default);
        assert!((0..11).all(|p| rows.iter().any(|r| r.probe == p)));
        assert!(rows.len() <= 12, "{}", rows.len());
    }

    #[test]
    fn probes_keep_to_their_levels_and_left_out_dimensions_stay_out() {
        // Probe 1 allows only the first level of dimension 1; dimension 2 is left out.
        let a: Allowed = vec![vec![0, 1, 2], vec![0, 1], vec![]];
        let b: Allowed = vec![vec![0, 1, 2], vec![0], vec![]];
        let rows = rows(&[a.clone(), b.clone()], &[true, false], Depth::Default);
        assert!(covers_every_pair(&[a.clone(), b.clone()], &rows));
        for r in &rows {
            assert_eq!(r.levels[2], None);
            let allowed = if r.probe == 0 { &a } else { &b };
            assert!(r.levels.iter().zip(allowed).all(|(l, al)| l.is_none_or(|l| al.contains(&l))), "{r:?}");
        }
        // Once both are sent, the probe that cannot place a call takes the remaining pairs it allows.
        assert!(rows.iter().skip(2).filter(|r| r.levels[1] == Some(0)).all(|r| r.probe == 1), "{rows:?}");
    }

    #[test]
    fn exhaustive_is_the_full_product_of_each_probe() {
        let rows = rows(&[all(&[3, 2, 2]), vec![vec![1], vec![0, 1], vec![]]], &[false, false], Depth::Exhaustive);
        assert_eq!(rows.len(), 12 + 2);
        let distinct: BTreeSet<_> = rows.iter().map(|r| (r.probe, r.levels.clone())).collect();
        assert_eq!(distinct.len(), rows.len());
    }

    #[test]
    fn many_probes_over_many_dimensions_take_about_a_row_each() {
        // 40 probes over 10 dimensions of 3 levels: done at once, every pair covered.
        let form = all(&[3; 10]);
        let probes = vec![form.clone(); 40];
        let rows = rows(&probes, &[false; 40], Depth::Default);
        assert!(covers_every_pair(&[form], &rows));
        assert!(rows.len() >= 40 && rows.len() <= 60, "{}", rows.len());
    }
}
