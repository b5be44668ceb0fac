//! Row filters written in a manifest: `column op literal`, all of which must hold for a row to
//! be kept (`filter = ["days_b_screening_arrest >= -30", "c_charge_degree != \"O\""]`).
//!
//! The grammar is deliberately tiny, so that a filter reads the same to everyone and can be
//! checked before any data is read: a column name (bare, or in backquotes when it holds spaces
//! or operator characters), one of `==`, `!=`, `<`, `<=`, `>`, `>=`, and a literal that is a
//! finite number or a double-quoted string. Numbers compare numerically (a value that is not a
//! number is never equal to one), strings compare with the trimmed cell text, and ordering
//! needs a number. A missing value satisfies no condition (SQL's rule for NULL): the row is
//! dropped and counted, so a filter never silently keeps rows it could not judge.

use std::fmt;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl FilterOp {
    fn symbol(self) -> &'static str {
        match self {
            Self::Eq => "==",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
        }
    }

    fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self {
            Self::Eq => ordering == Equal,
            Self::Ne => ordering != Equal,
            Self::Lt => ordering == Less,
            Self::Le => ordering != Greater,
            Self::Gt => ordering == Greater,
            Self::Ge => ordering != Less,
        }
    }
}

/// The right-hand side of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterLiteral {
    /// A finite number.
    Number(f64),
    /// A double-quoted string, unescaped.
    Text(String),
}

/// One condition: `column op literal`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The column it reads.
    pub column: String,
    /// The comparison.
    pub op: FilterOp,
    /// What the cell is compared with.
    pub literal: FilterLiteral,
    /// The condition as written (how `dataset.json` counts the rows it dropped).
    pub text: String,
}

/// Why a condition could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read filter `{text}`: {reason}")]
pub struct FilterSyntaxError {
    /// The condition as written.
    pub text: String,
    /// What is wrong, as a fragment.
    pub reason: String,
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

const OPERATORS: [(&str, FilterOp); 6] = [
    ("==", FilterOp::Eq),
    ("!=", FilterOp::Ne),
    ("<=", FilterOp::Le),
    (">=", FilterOp::Ge),
    ("<", FilterOp::Lt),
    (">", FilterOp::Gt),
];

impl Condition {
    /// Parses `column op literal`.
    pub fn parse(text: &str) -> Result<Self, FilterSyntaxError> {
        let err = |reason: &str| FilterSyntaxError { text: text.to_owned(), reason: reason.to_owned() };
        let s = text.trim();
        let (column, rest) = if let Some(quoted) = s.strip_prefix('`') {
            let end = quoted.find('`').ok_or_else(|| err("the column's closing backquote is missing"))?;
            (quoted[..end].to_owned(), quoted[end + 1..].trim_start())
        } else {
            let end = s.find(['=', '!', '<', '>', ' ']).unwrap_or(s.len());
            (s[..end].to_owned(), s[end..].trim_start())
        };
        if column.is_empty() {
            return Err(err("expected a column name first"));
        }
        let (op, rest) = OPERATORS
            .iter()
            .find_map(|(sym, op)| rest.strip_prefix(sym).map(|r| (*op, r.trim())))
            .ok_or_else(|| err("expected one of ==, !=, <, <=, >, >= after the column"))?;
        let literal = if let Some(body) = rest.strip_prefix('"') {
            let inner = body.strip_suffix('"').ok_or_else(|| err("the string's closing quote is missing"))?;
            if inner.contains('"') && !inner.contains("\\\"") {
                return Err(err("a quote inside the string must be written \\\""));
            }
            FilterLiteral::Text(inner.replace("\\\"", "\"").replace("\\\\", "\\"))
        } else if rest.is_empty() {
            return Err(err("expected a number or a \"quoted\" string after the operator"));
        } else {
            match rest.parse::<f64>() {
                Ok(x) if x.is_finite() => FilterLiteral::Number(x),
                _ => return Err(err("expected a number or a \"quoted\" string after the operator (quote text)")),
            }
        };
        if matches!(literal, FilterLiteral::Text(_)) && !matches!(op, FilterOp::Eq | FilterOp::Ne) {
            return Err(err("a string can only be compared with == or !="));
        }
        Ok(Self { column, op, literal, text: s.to_owned() })
    }

    /// Whether a cell (trimmed; `None` when missing) satisfies the condition.
    pub fn holds(&self, cell: Option<&str>) -> bool {
        let Some(cell) = cell else { return false };
        match &self.literal {
            FilterLiteral::Text(t) => self.op.holds(cell.cmp(t.as_str())),
            FilterLiteral::Number(x) => match cell.parse::<f64>() {
                Ok(v) if !v.is_nan() => v.partial_cmp(x).is_some_and(|o| self.op.holds(o)),
                // Not a number: never equal to one, so only `!=` holds; ordering is refused
                // when the column is checked (see `needs_number`).
                _ => self.op == FilterOp::Ne,
            },
        }
    }

    /// Whether the condition orders numbers, so every present value of its column must be one.
    pub fn needs_number(&self) -> bool {
        matches!(self.literal, FilterLiteral::Number(_)) && !matches!(self.op, FilterOp::Eq | FilterOp::Ne)
    }

    /// The operator as written.
    pub fn op_symbol(&self) -> &'static str {
        self.op.symbol()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_conditions_of_the_compas_recipe() {
        let a = Condition::parse("days_b_screening_arrest >= -30").expect("valid");
        assert_eq!(
            (a.column.as_str(), a.op, &a.literal),
            ("days_b_screening_arrest", FilterOp::Ge, &FilterLiteral::Number(-30.0))
        );
        let b = Condition::parse("is_recid != -1").expect("valid");
        assert_eq!(b.op, FilterOp::Ne);
        let c = Condition::parse("c_charge_degree != \"O\"").expect("valid");
        assert_eq!(c.literal, FilterLiteral::Text("O".into()));
        let d = Condition::parse("`odd name`<=3").expect("valid");
        assert_eq!((d.column.as_str(), d.op), ("odd name", FilterOp::Le));
    }

    #[test]
    fn evaluates_like_sql_on_missing_values() {
        let c = Condition::parse("x >= -30").expect("valid");
        assert!(c.holds(Some("-30")));
        assert!(c.holds(Some("5.5")));
        assert!(!c.holds(Some("-31")));
        assert!(!c.holds(None));
        let ne = Condition::parse("x != -1").expect("valid");
        assert!(ne.holds(Some("0")));
        assert!(!ne.holds(Some("-1.0")));
        assert!(!ne.holds(None));
        let t = Condition::parse("d != \"O\"").expect("valid");
        assert!(t.holds(Some("F")));
        assert!(!t.holds(Some("O")));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let reason = |s: &str| Condition::parse(s).expect_err(s).reason;
        assert_eq!(reason(">= 3"), "expected a column name first");
        assert_eq!(reason("x ~ 3"), "expected one of ==, !=, <, <=, >, >= after the column");
        assert_eq!(reason("x >="), "expected a number or a \"quoted\" string after the operator");
        assert_eq!(reason("x == O"), "expected a number or a \"quoted\" string after the operator (quote text)");
        assert_eq!(reason("x < \"a\""), "a string can only be compared with == or !=");
        assert_eq!(reason("x == \"a"), "the string's closing quote is missing");
    }
}
