//! Region: the Vonage Contact Center regions, each with its base URL and its
//! token endpoint (`POST {base}/Auth/connect/token`), as the platform's public
//! documentation gives them (see `PLATFORM.md` in the shared contract).

use std::fmt;
use std::str::FromStr;

/// A region of the platform: `--region emea|nam|apac` (or `VCC_REGION`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Region {
    /// Europe, the Middle East and Africa (https://emea.cc.vonage.com)
    Emea,
    /// The USA (https://nam.cc.vonage.com)
    Nam,
    /// Asia-Pacific (https://apac.cc.vonage.com)
    Apac,
}

impl Region {
    pub const ALL: [Region; 3] = [Region::Emea, Region::Nam, Region::Apac];

    /// The name on the command line and in `VCC_REGION`.
    pub fn name(self) -> &'static str {
        match self {
            Region::Emea => "emea",
            Region::Nam => "nam",
            Region::Apac => "apac",
        }
    }

    /// The region's API base URL.
    pub fn base_url(self) -> &'static str {
        match self {
            Region::Emea => "https://emea.cc.vonage.com",
            Region::Nam => "https://nam.cc.vonage.com",
            Region::Apac => "https://apac.cc.vonage.com",
        }
    }

    /// The region's OAuth2 token endpoint (client credentials, form-encoded).
    pub fn token_url(self) -> &'static str {
        match self {
            Region::Emea => "https://emea.cc.vonage.com/Auth/connect/token",
            Region::Nam => "https://nam.cc.vonage.com/Auth/connect/token",
            Region::Apac => "https://apac.cc.vonage.com/Auth/connect/token",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A region name that is none of [`Region::ALL`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownRegion(pub String);

impl fmt::Display for UnknownRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Region::ALL.iter().map(|r| r.name()).collect();
        write!(f, "unknown region `{}`: the regions are {}", self.0, names.join(", "))
    }
}

impl std::error::Error for UnknownRegion {}

impl FromStr for Region {
    type Err = UnknownRegion;

    /// A region by its name, in any case (`emea`, `NAM`...).
    fn from_str(name: &str) -> Result<Region, UnknownRegion> {
        Region::ALL.into_iter().find(|r| r.name().eq_ignore_ascii_case(name.trim())).ok_or_else(|| UnknownRegion(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::*;
    use crate::auth::default_token_url;

    #[test]
    fn each_region_has_its_documented_urls() {
        let urls: Vec<(&str, &str, &str)> = Region::ALL.iter().map(|r| (r.name(), r.base_url(), r.token_url())).collect();
        assert_eq!(
            urls,
            [
                ("emea", "https://emea.cc.vonage.com", "https://emea.cc.vonage.com/Auth/connect/token"),
                ("nam", "https://nam.cc.vonage.com", "https://nam.cc.vonage.com/Auth/connect/token"),
                ("apac", "https://apac.cc.vonage.com", "https://apac.cc.vonage.com/Auth/connect/token"),
            ]
        );
        for region in Region::ALL {
            assert_eq!(default_token_url(region.base_url()).unwrap(), region.token_url(), "{region}");
        }
    }

    #[test]
    fn regions_parse_by_name_for_clap_and_the_environment() {
        for region in Region::ALL {
            assert_eq!(region.name().parse::<Region>(), Ok(region));
            assert_eq!(region.name().to_uppercase().parse::<Region>(), Ok(region));
            assert_eq!(<Region as ValueEnum>::from_str(region.name(), false), Ok(region), "clap::ValueEnum");
            assert_eq!(region.to_possible_value().map(|v| v.get_name().to_owned()), Some(region.name().to_owned()));
        }
        let err = "eu".parse::<Region>().unwrap_err().to_string();
        assert_eq!(err, "unknown region `eu`: the regions are emea, nam, apac");
    }
}
