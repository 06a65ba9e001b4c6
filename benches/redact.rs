//! The redactor's cost: every text a report shows goes through it, and a
//! hostile answer may be a MiB of escapes. Redacts 1 MiB of each kind of text
//! (median of 7 runs), with a run's secrets hidden, prints one row each, and
//! exits 1 when one takes over [`TARGET_MS`]: the work must stay linear in the
//! text, whatever it holds.
//!
//! ```text
//! cargo bench --bench redact
//! ```

use std::time::Instant;

use vcc_conformance::secrets::{Redactor, Secret};

/// The most one MiB of any text may take to redact (release build).
const TARGET_MS: f64 = 50.0;

fn main() {
    let redactor = Redactor::new();
    redactor.hide(&Secret::new("Kestrel/Tok+en=\"Q\\9 zx&<"));
    redactor.hide_basic("qa", &Secret::new("Heron Sécret/+\"\\&=7Hq"));
    redactor.hide(&Secret::new("eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJxYSJ9.c2lnbmF0dXJl"));
    let kinds = [
        ("plain text", "abcdefgh"),
        ("backslashes", "\\"),
        ("percent signs", "%"),
        ("ampersands", "&"),
        ("\\ % & mixed", "\\%&"),
        ("escapes of every kind", "\\u0041%41&#65;"),
        ("escaped backslashes", "\\\\"),
        ("%25, decoded again", "%25"),
        ("plus signs", "+"),
        ("line breaks", "a\n"),
    ];
    let mut missed = 0;
    println!("{:<24} {:>10}  target <= {TARGET_MS} ms", "1 MiB of", "ms");
    for (name, unit) in kinds {
        let text = unit.repeat((1 << 20) / unit.len());
        let mut times: Vec<f64> = (0..7)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(redactor.redact(std::hint::black_box(&text)));
                started.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let met = median <= TARGET_MS;
        missed += usize::from(!met);
        println!("{name:<24} {median:>10.1}  {}", if met { "yes" } else { "NO" });
    }
    std::process::exit(i32::from(missed > 0));
}
