//! Plan: which cases a run sends, in which order, and why the others are not
//! sent. Selection (filters, `--exact`, `--skip`), the one real-call guard (a
//! case that may place a call is not sent off loopback unless allowed), and the
//! pacing that keeps the run a gentle guest (requests a second; the spacing
//! between two calls with one agent). `run`, `diff` and `selftest` all plan
//! this way.

use std::time::Duration;

use crate::result::HoldReason;
use crate::suite::Case;

/// Which cases a user asked for, as `cargo test` takes it: any of several
/// filters (substrings, or whole names with `exact`), minus the `skip`s; and
/// by tag, as nextest's filter expressions and Bruno's `--tags` do: a case with
/// any of `tags` (when some are given), and none of `skip_tags`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub filters: Vec<String>,
    pub exact: bool,
    pub skip: Vec<String>,
    pub tags: Vec<String>,
    pub skip_tags: Vec<String>,
}

impl Selection {
    /// The selection libtest's options ask for: the positional filter and any
    /// `more` filters, `--exact`, `--skip`.
    pub fn from_args(args: &libtest_mimic::Arguments, more: &[String]) -> Selection {
        let filters = args.filter.iter().chain(more).cloned().collect();
        Selection { filters, exact: args.exact, skip: args.skip.clone(), ..Selection::default() }
    }

    /// The same, also by tag.
    pub fn with_tags(self, tags: &[String], skip_tags: &[String]) -> Selection {
        Selection { tags: tags.to_vec(), skip_tags: skip_tags.to_vec(), ..self }
    }

    /// Whether `case` is selected: by its name, then by its tags.
    pub fn selects_case(&self, case: &Case) -> bool {
        self.selects(&case.test_name())
            && (self.tags.is_empty() || self.tags.iter().any(|t| case.has_tag(t)))
            && !self.skip_tags.iter().any(|t| case.has_tag(t))
    }

    /// Whether the case named `name` is selected.
    pub fn selects(&self, name: &str) -> bool {
        let matches = |pattern: &String| if self.exact { name == pattern } else { name.contains(pattern.as_str()) };
        (self.filters.is_empty() || self.filters.iter().any(matches)) && !self.skip.iter().any(matches)
    }
}

/// What the run does with one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Send,
    /// Selected, but not sent: the reason.
    Hold(HoldReason),
    /// Not selected.
    FilteredOut,
}

/// A case and what the run does with it.
#[derive(Clone, Debug)]
pub struct Planned {
    pub case: Case,
    pub action: Action,
}

/// The whole plan, in the order of the case files.
#[derive(Clone, Debug)]
pub struct Plan {
    pub items: Vec<Planned>,
}

impl Plan {
    /// Plans `cases`: `selection` picks, and when `guard` holds (a deployment off
    /// loopback, no opt-in), the cases that may place a call are held back.
    pub fn new(cases: Vec<Case>, selection: &Selection, guard: bool) -> Plan {
        let items = cases
            .into_iter()
            .map(|case| {
                let action = if !selection.selects_case(&case) {
                    Action::FilteredOut
                } else if guard && case.may_place_call() {
                    Action::Hold(HoldReason::of(&case))
                } else {
                    Action::Send
                };
                Planned { case, action }
            })
            .collect();
        Plan { items }
    }

    /// The cases sent.
    pub fn to_send(&self) -> impl Iterator<Item = &Case> {
        self.items.iter().filter(|p| p.action == Action::Send).map(|p| &p.case)
    }

    /// The selected cases (sent or held).
    pub fn selected(&self) -> impl Iterator<Item = &Planned> {
        self.items.iter().filter(|p| p.action != Action::FilteredOut)
    }

    /// The account key the cases address (the pre-flight posts there): the
    /// first one a sent case's path names, else the shipped default.
    pub fn account_key(&self) -> String {
        self.to_send()
            .find_map(|c| crate::checks::account_of(&c.request.path).map(str::to_owned))
            .unwrap_or_else(|| "a1b2c3d4e5".into())
    }

    /// The selected cases held back, with the reason.
    pub fn held(&self) -> impl Iterator<Item = (&Case, HoldReason)> {
        self.items.iter().filter_map(|p| match p.action {
            Action::Hold(reason) => Some((&p.case, reason)),
            _ => None,
        })
    }
}

/// Whether a base URL points at this machine (where placing a "call" is harmless).
/// Only the URL's host counts: a name that a `--resolve` sends to loopback is
/// still a deployment's name.
pub fn is_loopback(base: &str) -> bool {
    match url::Url::parse(base).ok().and_then(|u| u.host().map(|h| h.to_owned())) {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Whether a target is on this machine: its URL's host is a loopback name or
/// address, and, where `--resolve` sends that host and port elsewhere, that
/// address is loopback too. Either one off loopback makes the target a
/// deployment, whose real-call guard is on.
pub fn is_loopback_target(base: &str, resolve: &Resolve) -> bool {
    if !is_loopback(base) {
        return false;
    }
    let Ok(url) = url::Url::parse(base) else { return false };
    let (host, port) = (host_of(&url), url.port_or_known_default());
    resolve
        .iter()
        .filter(|(name, addr)| name.trim_matches(['[', ']']) == host && Some(addr.port()) == port)
        .all(|(_, addr)| addr.ip().is_loopback())
}

/// The lowercase host of a URL, as `--resolve` names it (an IPv6 address without brackets).
pub fn host_of(url: &url::Url) -> String {
    url.host_str().unwrap_or_default().trim_matches(['[', ']']).to_ascii_lowercase()
}

/// Where `--resolve` sends a host, as `HOST` and `PORT:ADDR`.
type Resolve = [(String, std::net::SocketAddr)];

/// The pacing for a run: the given rate, or none on loopback (as
/// [`is_loopback_target`] judges it) and a gentle 5 requests per second elsewhere.
pub fn pacing(max_rps: Option<f64>, base: &str, resolve: &Resolve) -> Option<Duration> {
    let rps = max_rps.unwrap_or(if is_loopback_target(base, resolve) { 0.0 } else { 5.0 });
    (rps > 0.0).then(|| Duration::from_secs_f64(1.0 / rps))
}

/// The spacing between two calls with one agent off loopback, unless
/// `--agent-spacing` says otherwise: on a live platform the agent's phone rings
/// first, and the agent stays busy until the call ends (or rings out).
pub const DEFAULT_AGENT_SPACING: Duration = Duration::from_secs(30);

/// The spacing between two calls with one agent for a run: the given one, or
/// none on loopback (as [`is_loopback_target`] judges it; the reference server
/// keeps no agent busy) and
/// [`DEFAULT_AGENT_SPACING`] elsewhere.
pub fn agent_spacing(given: Option<Duration>, base: &str, resolve: &Resolve) -> Duration {
    given.unwrap_or(if is_loopback_target(base, resolve) { Duration::ZERO } else { DEFAULT_AGENT_SPACING })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_filters_select_any_and_skips_win() {
        let s = Selection { filters: vec!["examples::".into(), "boundaries::".into()], ..Selection::default() };
        assert!(s.selects("examples::example-1") && s.selects("boundaries::x") && !s.selects("media-type::x"));
        let exact = Selection { filters: vec!["a::b".into(), "c::d".into()], exact: true, ..Selection::default() };
        assert!(exact.selects("a::b") && exact.selects("c::d") && !exact.selects("a::bc"));
        let skip = Selection { skip: vec!["::b".into()], ..Selection::default() };
        assert!(!skip.selects("a::b") && skip.selects("a::c"));
        assert!(Selection::default().selects("anything"));
    }

    #[test]
    fn tags_select_any_and_skipped_tags_win() {
        let cases = crate::exec::load_shipped().unwrap().cases;
        let count = |s: &Selection| cases.iter().filter(|c| s.selects_case(c)).count();
        let boundary = Selection::default().with_tags(&["boundary".into()], &[]);
        assert!(count(&boundary) > 0 && cases.iter().filter(|c| boundary.selects_case(c)).all(|c| c.has_tag("boundary")));
        let either = Selection::default().with_tags(&["boundary".into(), "example".into()], &[]);
        assert!(count(&either) > count(&boundary));
        let no_calls = Selection::default().with_tags(&[], &["places-call".into()]);
        assert_eq!(count(&no_calls), cases.iter().filter(|c| !c.has_tag("places-call")).count());
        let both = Selection::default().with_tags(&["boundary".into()], &["places-call".into()]);
        assert!(cases.iter().filter(|c| both.selects_case(c)).all(|c| c.has_tag("boundary") && !c.has_tag("places-call")));
    }

    #[test]
    fn pacing_is_gentle_off_loopback_only() {
        assert_eq!(pacing(None, "http://127.0.0.1:1", &[]), None);
        assert_eq!(pacing(None, "https://emea.example", &[]), Some(Duration::from_millis(200)));
        assert_eq!(pacing(Some(0.0), "https://emea.example", &[]), None);
        assert_eq!(pacing(Some(100.0), "http://127.0.0.1:1", &[]), Some(Duration::from_millis(10)));
        // A loopback name that --resolve sends elsewhere is a deployment, as for the real-call guard.
        let elsewhere = [("localhost".to_owned(), "192.0.2.7:443".parse().unwrap())];
        assert_eq!(pacing(None, "https://localhost", &elsewhere), Some(Duration::from_millis(200)));
        assert_eq!(agent_spacing(None, "https://localhost", &elsewhere), DEFAULT_AGENT_SPACING);
    }

    #[test]
    fn agents_are_spaced_off_loopback_only() {
        assert_eq!(agent_spacing(None, "http://127.0.0.1:1", &[]), Duration::ZERO);
        assert_eq!(agent_spacing(None, "https://emea.example", &[]), DEFAULT_AGENT_SPACING);
        assert_eq!(agent_spacing(Some(Duration::ZERO), "https://emea.example", &[]), Duration::ZERO);
        assert_eq!(agent_spacing(Some(Duration::from_secs(2)), "http://127.0.0.1:1", &[]), Duration::from_secs(2));
    }

    #[test]
    fn loopback_is_recognised_by_the_url_alone() {
        for yes in ["http://127.0.0.1:8080", "http://localhost", "http://[::1]:9", "http://127.9.9.9"] {
            assert!(is_loopback(yes), "{yes}");
        }
        for no in ["https://emea.newvoicemedia.com", "http://10.0.0.1", "http://localhost.example", "nonsense", "http://deployment.test:80"] {
            assert!(!is_loopback(no), "{no}");
        }
    }

    #[test]
    fn a_loopback_name_sent_elsewhere_is_off_loopback() {
        let to = |host: &str, addr: &str| vec![(host.to_owned(), addr.parse::<std::net::SocketAddr>().unwrap())];
        assert!(is_loopback_target("http://localhost:8080", &[]));
        assert!(is_loopback_target("http://localhost:8080", &to("localhost", "127.0.0.2:8080")));
        assert!(!is_loopback_target("https://localhost", &to("localhost", "192.0.2.7:443")), "name on loopback, address not");
        assert!(!is_loopback_target("http://[::1]:80", &to("::1", "[2001:db8::1]:80")));
        assert!(is_loopback_target("https://localhost", &to("localhost", "192.0.2.7:8443")), "another port is not this target");
        assert!(!is_loopback_target("https://deployment.test", &to("deployment.test", "127.0.0.1:443")), "address on loopback, name not");
    }
}
