//! Latency against a record: the median and the 90th percentile of how long
//! each case took on both sides, over the cases both answered. One slow case
//! says little (a network hiccup); the median moving says the release is
//! slower. A is "slower" when its median is more than [`Threshold::ratio`]
//! times B's *and* more than [`Threshold::floor_ms`] above it, so that a
//! millisecond on loopback never counts as a change.

use serde_json::{Value, json};

/// When A counts as slower than B.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Threshold {
    /// A's median over B's, above which A is slower (`--latency-ratio`).
    pub ratio: f64,
    /// And by at least this many milliseconds (`--latency-floor`).
    pub floor_ms: f64,
}

impl Default for Threshold {
    fn default() -> Threshold {
        Threshold { ratio: 2.0, floor_ms: 50.0 }
    }
}

/// The median and the 90th percentile of one side's times, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub p90: f64,
}

impl Spread {
    /// The nearest-rank percentiles of `times` (not empty; sorted here).
    fn of(mut times: Vec<f64>) -> Spread {
        times.sort_by(f64::total_cmp);
        let rank = |p: f64| times[((p * times.len() as f64).ceil() as usize).clamp(1, times.len()) - 1];
        Spread { median: rank(0.5), p90: rank(0.9) }
    }
}

/// Both sides' latency over the cases both answered.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Latency {
    pub cases: usize,
    pub a: Spread,
    pub b: Spread,
    pub threshold: Threshold,
}

impl Latency {
    /// From each case's time on A and on B (milliseconds); `None` without a case.
    pub fn of(pairs: &[(f64, f64)], threshold: Threshold) -> Option<Latency> {
        if pairs.is_empty() {
            return None;
        }
        let side = |pick: fn(&(f64, f64)) -> f64| Spread::of(pairs.iter().map(pick).map(|t| t.max(0.0)).collect());
        Some(Latency { cases: pairs.len(), a: side(|p| p.0), b: side(|p| p.1), threshold })
    }

    /// A's median over B's (infinite when B's is 0 and A's is not).
    pub fn ratio(&self) -> f64 {
        if self.a.median == self.b.median { 1.0 } else { self.a.median / self.b.median }
    }

    /// Whether A is slower than the threshold allows.
    pub fn slower(&self) -> bool {
        self.ratio() > self.threshold.ratio && self.a.median - self.b.median > self.threshold.floor_ms
    }

    /// The summary's line.
    pub fn text(&self) -> String {
        let Threshold { ratio, floor_ms } = self.threshold;
        let verdict = if self.slower() {
            format!("CHANGED: A is slower, over {ratio}× and {floor_ms} ms (--latency-ratio, --latency-floor)")
        } else {
            format!("within {ratio}× or {floor_ms} ms")
        };
        let cases = if self.cases == 1 { "the 1 case".to_owned() } else { format!("the {} cases", self.cases) };
        format!(
            "latency over {cases} both answered: median A {:.1} ms, B {:.1} ms ({:.2}×); 90th percentile A {:.1} ms, B {:.1} ms: {verdict}",
            self.a.median,
            self.b.median,
            self.ratio(),
            self.a.p90,
            self.b.p90
        )
    }

    /// The summary's JSON.
    pub fn json(&self) -> Value {
        json!({
            "cases": self.cases, "a_median_ms": self.a.median, "b_median_ms": self.b.median,
            "a_p90_ms": self.a.p90, "b_p90_ms": self.b.p90, "ratio_limit": self.threshold.ratio,
            "floor_ms": self.threshold.floor_ms, "slower": self.slower(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let spread = Spread::of((1..=10).rev().map(f64::from).collect());
        assert_eq!(spread, Spread { median: 5.0, p90: 9.0 });
        assert_eq!(Spread::of(vec![7.0]), Spread { median: 7.0, p90: 7.0 });
    }

    #[test]
    fn slower_takes_both_the_ratio_and_the_floor() {
        let at = |a: f64, b: f64| Latency::of(&[(a, b), (a, b), (a * 10.0, b)], Threshold::default()).unwrap();
        assert!(at(250.0, 100.0).slower(), "2.5× and 150 ms slower");
        assert!(!at(180.0, 100.0).slower(), "1.8×: within the ratio");
        assert!(!at(3.0, 1.0).slower(), "3× but 2 ms: loopback noise");
        assert!(!at(100.0, 250.0).slower(), "faster is no change");
        assert!(at(60.0, 0.0).slower(), "from nothing to 60 ms");
        assert!(!at(0.0, 0.0).slower());
        assert!(at(250.0, 100.0).text().contains("CHANGED: A is slower"), "{}", at(250.0, 100.0).text());
        assert!(at(3.0, 1.0).text().ends_with("within 2× or 50 ms"), "{}", at(3.0, 1.0).text());
        assert_eq!(at(250.0, 100.0).json()["slower"], true);
        assert_eq!(Latency::of(&[], Threshold::default()), None);
    }
}
