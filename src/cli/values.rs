//! The values options take (seconds, rates, ratios, `NAME=VALUE`,
//! `HOST:PORT:ADDR`): clap's value parsers, and [`ValueError`], why a value is
//! refused. A new option's value parser goes here.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

/// Why an option's value is refused (clap prints it after the option's name).
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum ValueError {
    #[error("takes seconds, not `{0}`")]
    NotSeconds(String),
    #[error("must be more than 0 and at most 3600 seconds, not {0}")]
    Timeout(String),
    #[error("takes seconds from 0 to 3600, not `{0}`")]
    Seconds(String),
    #[error("`{0}` is not a number of seconds above 0 and at most 3600")]
    PositiveSeconds(String),
    #[error(
        "takes a number of requests per second: 0 (no pacing), or from {MIN_RPS} (one request every 1000 s) \
         to 100000, not `{0}`"
    )]
    Rate(String),
    #[error("takes a ratio from 1 to 1000, not `{0}`")]
    Ratio(String),
    #[error("takes milliseconds from 0 to 3600000, not `{0}`")]
    Milliseconds(String),
    #[error("takes NAME=VALUE, not `{0}`")]
    Var(String),
    #[error("takes HOST:PORT:ADDR (for example deployment.test:443:127.0.0.1), not `{0}`")]
    Resolve(String),
}

/// `value` as a number within `range`, else the error `refused` makes of it.
fn number_in(value: &str, range: std::ops::RangeInclusive<f64>, refused: fn(String) -> ValueError) -> Result<f64, ValueError> {
    match value.parse::<f64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(refused(value.to_owned())),
    }
}

/// Seconds, more than 0 and at most an hour.
pub fn parse_timeout(value: &str) -> Result<Duration, ValueError> {
    let secs: f64 = value.parse().map_err(|_| ValueError::NotSeconds(value.to_owned()))?;
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err(ValueError::Timeout(value.to_owned()));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Seconds, 0 to an hour.
pub fn parse_seconds(value: &str) -> Result<Duration, ValueError> {
    number_in(value, 0.0..=3600.0, ValueError::Seconds).map(Duration::from_secs_f64)
}

/// Seconds, more than 0 and at most an hour, as a number (`serve`'s bounds).
pub fn parse_positive_seconds(value: &str) -> Result<f64, ValueError> {
    number_in(value, f64::MIN_POSITIVE..=3600.0, ValueError::PositiveSeconds)
}

/// The fewest requests a second that pacing can honour above 0: one every
/// 1,000 s (a smaller rate would wait longer than any run, or overflow).
pub const MIN_RPS: f64 = 0.001;

/// Requests per second: 0 (no pacing), or [`MIN_RPS`] to 100000.
pub fn parse_rps(value: &str) -> Result<f64, ValueError> {
    match value.parse::<f64>() {
        Ok(rps) if rps == 0.0 => Ok(rps),
        _ => number_in(value, MIN_RPS..=100_000.0, ValueError::Rate),
    }
}

/// A ratio from 1 to 1000.
pub fn parse_ratio(value: &str) -> Result<f64, ValueError> {
    number_in(value, 1.0..=1000.0, ValueError::Ratio)
}

/// Milliseconds, 0 to an hour.
pub fn parse_milliseconds(value: &str) -> Result<f64, ValueError> {
    number_in(value, 0.0..=3_600_000.0, ValueError::Milliseconds)
}

/// `NAME=VALUE`.
pub fn parse_var(value: &str) -> Result<(String, String), ValueError> {
    let (name, v) = value.split_once('=').ok_or_else(|| ValueError::Var(value.to_owned()))?;
    Ok((name.trim().to_owned(), v.to_owned()))
}

/// `HOST:PORT:ADDR`, as curl's `--resolve` (an IPv6 address in brackets).
pub fn parse_resolve(value: &str) -> Result<(String, SocketAddr), ValueError> {
    let bad = || ValueError::Resolve(value.to_owned());
    let (host, rest) = value.split_once(':').ok_or_else(bad)?;
    let (port, addr) = rest.split_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let ip: std::net::IpAddr = addr.parse().map_err(|_| bad())?;
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host.to_ascii_lowercase(), (ip, port).to_socket_addrs().map_err(|_| bad())?.next().ok_or_else(bad)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_takes_curl_s_form() {
        assert_eq!(parse_resolve("Deploy.test:443:127.0.0.1").unwrap(), ("deploy.test".into(), "127.0.0.1:443".parse().unwrap()));
        assert_eq!(parse_resolve("h:80:[::1]").unwrap().1, "[::1]:80".parse().unwrap());
        for bad in ["h", "h:80", "h:x:127.0.0.1", ":80:127.0.0.1", "h:80:nothost"] {
            assert_eq!(parse_resolve(bad), Err(ValueError::Resolve(bad.into())), "{bad}");
        }
    }

    #[test]
    fn values_are_checked() {
        assert!(parse_timeout("0").is_err() && parse_timeout("NaN").is_err() && parse_timeout("abc").is_err());
        assert_eq!(parse_timeout("2.5").unwrap(), Duration::from_millis(2500));
        assert!(parse_rps("-1").is_err() && parse_rps("fast").is_err());
        // Rates whose pacing would overflow or outlast any run are refused, not a panic.
        for unpaceable in ["1e-300", "5e-324", "0.0009", "NaN", "inf", "100001"] {
            let e = parse_rps(unpaceable).unwrap_err().to_string();
            assert!(e.contains("0.001") && e.contains(unpaceable), "{unpaceable}: {e}");
        }
        for fine in ["0", "0.001", "5", "100000"] {
            let rps = parse_rps(fine).unwrap();
            assert!(rps == 0.0 || Duration::try_from_secs_f64(1.0 / rps).is_ok(), "{fine}");
        }
        assert_eq!(parse_seconds("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_seconds("0.5").unwrap(), Duration::from_millis(500));
        assert!(parse_seconds("-1").is_err() && parse_seconds("NaN").is_err() && parse_seconds("3601").is_err());
        assert_eq!(parse_positive_seconds("0"), Err(ValueError::PositiveSeconds("0".into())));
        assert_eq!(parse_positive_seconds("3600"), Ok(3600.0));
        assert!(parse_ratio("0.5").is_err() && parse_ratio("1").is_ok() && parse_milliseconds("-1").is_err());
        assert_eq!(parse_var("a=b=c").unwrap(), ("a".into(), "b=c".into()));
        assert_eq!(parse_var("novalue"), Err(ValueError::Var("novalue".into())));
    }
}
