//! Did-you-mean: the known name nearest to a mistyped one. Used wherever a
//! name is looked up (settings, variables, faults, documented items).

/// The candidate nearest to `name` (case-insensitive edit distance), if near enough.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let name = name.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (distance(&name, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb { prev } else { 1 + prev.min(row[j]).min(cur) };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_name_is_suggested_and_a_far_one_is_not() {
        assert_eq!(closest("busyAgentID", ["busyAgentId", "agentId"]), Some("busyAgentId"));
        assert_eq!(closest("VCC_BASEURL", ["VCC_BASE_URL", "VCC_TOKEN"]), Some("VCC_BASE_URL"));
        assert_eq!(closest("nothing", ["busyAgentId"]), None);
    }
}
