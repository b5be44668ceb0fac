//! The `owner/dataset` name of a Kaggle dataset, validated before it goes into a URL.

use std::fmt;

use super::KaggleError;

/// A validated Kaggle dataset slug, `owner/dataset`.
///
/// Each side is one or more ASCII letters, digits, `.`, `_` or `-`, and neither side is `.` or
/// `..`: the slug becomes two URL path segments, so anything else could change which
/// endpoint the request reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatasetSlug {
    owner: String,
    dataset: String,
}

impl DatasetSlug {
    /// Checks `slug` and splits it into owner and dataset.
    pub fn parse(slug: &str) -> Result<Self, KaggleError> {
        let invalid = || KaggleError::InvalidSlug { slug: slug.to_owned() };
        let (owner, dataset) = slug.split_once('/').ok_or_else(invalid)?;
        if !is_segment(owner) || !is_segment(dataset) {
            return Err(invalid());
        }
        Ok(Self { owner: owner.to_owned(), dataset: dataset.to_owned() })
    }

    /// The account that owns the dataset.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The dataset's name within its owner's account.
    pub fn dataset(&self) -> &str {
        &self.dataset
    }
}

impl fmt::Display for DatasetSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.dataset)
    }
}

fn is_segment(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_kaggle_slugs() {
        let slug = DatasetSlug::parse("teamincribo/cyber-security-attacks").expect("valid");
        assert_eq!((slug.owner(), slug.dataset()), ("teamincribo", "cyber-security-attacks"));
        assert_eq!(slug.to_string(), "teamincribo/cyber-security-attacks");
        assert!(DatasetSlug::parse("Microsoft/microsoft_security.v2").is_ok());
    }

    #[test]
    fn rejects_anything_that_could_change_the_url() {
        for bad in [
            "",
            "owner",
            "/dataset",
            "owner/",
            "a/b/c",
            "../b",
            "a/..",
            "./b",
            "a/b?x=1",
            "a/b#f",
            "a b/c",
            "a/%2e%2e",
            "https://www.kaggle.com/datasets/a/b",
            "a/ü",
        ] {
            let err = DatasetSlug::parse(bad).expect_err(bad);
            assert!(matches!(err, KaggleError::InvalidSlug { .. }), "{bad}: {err}");
        }
    }

    #[test]
    fn invalid_slug_message_names_the_slug_and_the_rule() {
        let err = DatasetSlug::parse("a/b/c").expect_err("invalid");
        assert_eq!(
            err.to_string(),
            "dataset slug `a/b/c` is not `owner/dataset` with only letters, digits, `.`, `_` or `-` on each side"
        );
    }
}
