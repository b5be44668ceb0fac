//! Which feature columns make up each of the transformer's input tokens.
//!
//! A one-hot encoded text column arrives as many 0/1 feature columns, but it is one input:
//! giving each indicator its own token (as the first transformer did) made adult 102 tokens
//! instead of 14 and attention cost grow with their square, while the indicators of one column
//! can never be active together. FT-Transformer (Gorishniy et al., 2021) gives every original
//! column one token: a numeric value scales a learned vector, a category looks up a learned
//! embedding. The grouping comes from whoever encoded the data (the preprocessor knows it);
//! without it, every column is its own token.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::FitError;
use super::token_vocabulary::is_token_column;

/// How one token is read from a row of feature columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FeatureToken {
    /// One numeric column: its standardized value times a learned vector, plus the token's
    /// learned bias.
    Numeric { column: usize },
    /// One column of categorical ids (`action_<i>` columns), looked up in the vocabulary that
    /// all such columns share.
    Id { column: usize },
    /// The 0/1 indicators of one text column's categories: the first indicator that is set
    /// picks the category's embedding; none set (an unseen or missing category) picks the
    /// group's own "none" embedding.
    OneHot { columns: Range<usize> },
}

impl FeatureToken {
    /// The feature columns it reads.
    pub fn columns(&self) -> Range<usize> {
        match self {
            Self::Numeric { column } | Self::Id { column } => *column..*column + 1,
            Self::OneHot { columns } => columns.clone(),
        }
    }
}

/// The tokens of a row, in column order, covering every feature column exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FeatureTokens {
    tokens: Vec<FeatureToken>,
}

impl FeatureTokens {
    /// One token per column: `action_<i>` columns as ids, every other column numeric.
    pub fn per_column(feature_names: &[String]) -> Self {
        let token = |(column, name): (usize, &String)| {
            if is_token_column(name) { FeatureToken::Id { column } } else { FeatureToken::Numeric { column } }
        };
        Self { tokens: feature_names.iter().enumerate().map(token).collect() }
    }

    /// [`Self::per_column`], except that each of `one_hot` (ranges of consecutive columns, in
    /// increasing order, not overlapping) becomes one one-hot token. An empty range (a text
    /// column without categories) has no columns and makes no token.
    pub fn with_one_hot(feature_names: &[String], one_hot: &[Range<usize>]) -> Result<Self, FitError> {
        let width = feature_names.len();
        let mut tokens = Vec::with_capacity(width);
        let mut next = 0;
        for group in one_hot.iter().filter(|group| !group.is_empty()) {
            if group.start < next || group.end > width {
                return Err(FitError::InvalidOneHotGroup { start: group.start, end: group.end, width });
            }
            tokens.extend(Self::per_column(&feature_names[next..group.start]).shifted(next));
            tokens.push(FeatureToken::OneHot { columns: group.clone() });
            next = group.end;
        }
        tokens.extend(Self::per_column(&feature_names[next..]).shifted(next));
        Ok(Self { tokens })
    }

    fn shifted(self, offset: usize) -> impl Iterator<Item = FeatureToken> {
        self.tokens.into_iter().map(move |token| match token {
            FeatureToken::Numeric { column } => FeatureToken::Numeric { column: column + offset },
            FeatureToken::Id { column } => FeatureToken::Id { column: column + offset },
            FeatureToken::OneHot { columns } => {
                FeatureToken::OneHot { columns: columns.start + offset..columns.end + offset }
            }
        })
    }

    /// Checks tokens read from a file: they must cover columns `0..width` in order, each once.
    pub fn from_saved(tokens: Vec<FeatureToken>, width: usize) -> Result<Self, String> {
        let mut next = 0;
        for token in &tokens {
            let columns = token.columns();
            if columns.start != next || columns.is_empty() || columns.end > width {
                return Err(format!(
                    "token over feature columns {}..{} does not continue at column {next} of {width}",
                    columns.start, columns.end
                ));
            }
            next = columns.end;
        }
        if next != width {
            return Err(format!("the tokens cover {next} of the {width} feature columns"));
        }
        Ok(Self { tokens })
    }

    /// The feature columns the tokens cover: `0..columns()`.
    pub fn columns(&self) -> usize {
        self.tokens.last().map_or(0, |token| token.columns().end)
    }

    pub fn tokens(&self) -> &[FeatureToken] {
        &self.tokens
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|&n| n.to_owned()).collect()
    }

    #[test]
    fn groups_one_hot_columns_and_keeps_the_rest_per_column() -> Result<(), FitError> {
        let names = names(&["age", "sex=f", "sex=m", "action_0", "job=a", "job=b", "job=c", "hours"]);
        let tokens = FeatureTokens::with_one_hot(&names, &[1..3, 4..4, 4..7])?;
        assert_eq!(
            tokens.tokens(),
            [
                FeatureToken::Numeric { column: 0 },
                FeatureToken::OneHot { columns: 1..3 },
                FeatureToken::Id { column: 3 },
                FeatureToken::OneHot { columns: 4..7 },
                FeatureToken::Numeric { column: 7 },
            ]
        );
        assert_eq!(FeatureTokens::from_saved(tokens.tokens().to_vec(), 8), Ok(tokens.clone()));
        assert_eq!(FeatureTokens::with_one_hot(&names, &[]), Ok(FeatureTokens::per_column(&names)));
        Ok(())
    }

    #[test]
    fn refuses_groups_out_of_order_or_out_of_range() {
        let names = names(&["a", "b", "c"]);
        let refused = |groups: &[Range<usize>]| FeatureTokens::with_one_hot(&names, groups).map_err(|e| e.to_string());
        assert_eq!(
            refused(&[1..3, 0..2]),
            Err("one-hot group of feature columns 0..2 overlaps another or lies outside the 3 columns".to_owned())
        );
        assert!(refused(&[1..2, 2..4]).is_err());
        let saved = |tokens: Vec<FeatureToken>| FeatureTokens::from_saved(tokens, 3).map(|_| ());
        assert_eq!(
            saved(vec![FeatureToken::Numeric { column: 0 }, FeatureToken::Numeric { column: 2 }]),
            Err("token over feature columns 2..3 does not continue at column 1 of 3".to_owned())
        );
        assert_eq!(
            saved(vec![FeatureToken::OneHot { columns: 0..2 }]),
            Err("the tokens cover 2 of the 3 feature columns".to_owned())
        );
    }
}
