//! `${matrix.x}` and `${vars.x}` in stage parameters.
//!
//! A string that is exactly one placeholder takes the bound value with its type and its own
//! span (so `epochs = "${matrix.epochs}"` is an integer, and a bad value is reported where it
//! was written); a placeholder inside a longer string is replaced by the value's text. `$${`
//! writes a literal `${`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use super::diagnostic::{Issues, did_you_mean, one_of};
use super::matrix::{Combo, display_value};

/// What placeholders may refer to in one stage instance.
pub(crate) struct Scope<'a, 'src> {
    pub(crate) stage: &'a str,
    pub(crate) matrix: &'a Combo<'src>,
    pub(crate) vars: &'a BTreeMap<String, Spanned<DeValue<'src>>>,
}

enum Piece<'a> {
    Text(Cow<'a, str>),
    Ref(&'a str),
}

/// A placeholder's value: the written value with its span, and its text.
struct Resolved<'src> {
    value: Spanned<DeValue<'src>>,
    text: String,
}

impl<'src> Scope<'_, 'src> {
    fn lookup(&self, name: &str, span: Range<usize>, issues: &mut Issues<'_>) -> Option<Resolved<'src>> {
        if let Some(var) = name.strip_prefix("matrix.") {
            if let Some(b) = self.matrix.get(var) {
                return Some(Resolved { value: b.value.clone(), text: b.display() });
            }
            let (message, help) = if self.matrix.is_empty() {
                (format!("stage `{}` has no matrix variables, so `${{{name}}}` cannot be resolved", self.stage), None)
            } else {
                let names = self.matrix.keys().map(String::as_str);
                let help = did_you_mean(var, self.matrix.keys().map(String::as_str))
                    .or_else(|| Some(format!("this stage's matrix variables are {}", one_of(names))));
                (format!("unknown matrix variable `{var}` in `${{{name}}}`"), help)
            };
            issues.push(span, message, "unknown variable", help);
            return None;
        }
        if let Some(var) = name.strip_prefix("vars.") {
            if let Some(v) = self.vars.get(var) {
                let text = v.get_ref().as_str().map_or_else(|| raw_text(v), str::to_owned);
                return Some(Resolved { value: v.clone(), text });
            }
            let help = did_you_mean(var, self.vars.keys().map(String::as_str));
            issues.push(
                span,
                format!("unknown variable `{var}` in `${{{name}}}`; declare it under `[vars]`"),
                "unknown variable",
                help,
            );
            return None;
        }
        issues.push(
            span,
            format!("cannot resolve `${{{name}}}`: placeholders are `${{matrix.NAME}}` or `${{vars.NAME}}`"),
            "unknown placeholder",
            None,
        );
        None
    }
}

fn raw_text(v: &Spanned<DeValue<'_>>) -> String {
    use serde::Deserialize;
    toml::Value::deserialize(toml::de::ValueDeserializer::from(v.clone()))
        .map(|t| display_value(&t))
        .unwrap_or_default()
}

fn split(s: &str) -> Result<Vec<Piece<'_>>, &'static str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(pos) = rest.find("${") {
        if rest[..pos].ends_with('$') {
            out.push(Piece::Text(Cow::Borrowed(&rest[..pos - 1])));
            out.push(Piece::Text(Cow::Borrowed("${")));
            rest = &rest[pos + 2..];
            continue;
        }
        out.push(Piece::Text(Cow::Borrowed(&rest[..pos])));
        let after = &rest[pos + 2..];
        let end = after.find('}').ok_or("unterminated `${`: expected `}`")?;
        out.push(Piece::Ref(after[..end].trim()));
        rest = &after[end + 1..];
    }
    out.push(Piece::Text(Cow::Borrowed(rest)));
    out.retain(|p| !matches!(p, Piece::Text(t) if t.is_empty()));
    Ok(out)
}

/// Interpolates a string into text only (cohort names).
pub(crate) fn interpolate_text(
    s: &str,
    span: Range<usize>,
    scope: &Scope<'_, '_>,
    issues: &mut Issues<'_>,
) -> Option<String> {
    let pieces = match split(s) {
        Ok(p) => p,
        Err(msg) => {
            issues.push(span, msg, "here", None);
            return None;
        }
    };
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(&t),
            Piece::Ref(name) => out.push_str(&scope.lookup(name, span.clone(), issues)?.text),
        }
    }
    Some(out)
}

/// Interpolates every string in a value tree.
pub(crate) fn interpolate<'src>(
    v: &Spanned<DeValue<'src>>,
    scope: &Scope<'_, 'src>,
    issues: &mut Issues<'_>,
) -> Spanned<DeValue<'src>> {
    let span = v.span();
    match v.get_ref() {
        DeValue::String(s) if s.contains("${") => {
            let pieces = match split(s) {
                Ok(p) => p,
                Err(msg) => {
                    issues.push(span, msg, "here", None);
                    return v.clone();
                }
            };
            if let [Piece::Ref(name)] = pieces.as_slice() {
                return scope.lookup(name, span, issues).map_or_else(|| v.clone(), |r| r.value);
            }
            let mut out = String::new();
            for p in pieces {
                match p {
                    Piece::Text(t) => out.push_str(&t),
                    Piece::Ref(name) => match scope.lookup(name, span.clone(), issues) {
                        Some(r) => out.push_str(&r.text),
                        None => return v.clone(),
                    },
                }
            }
            Spanned::new(span, DeValue::String(Cow::Owned(out)))
        }
        DeValue::Array(items) => {
            let mut out = DeArray::new();
            for item in items.iter() {
                out.push(interpolate(item, scope, issues));
            }
            Spanned::new(span, DeValue::Array(out))
        }
        DeValue::Table(t) => Spanned::new(span, DeValue::Table(interpolate_table(t, scope, issues))),
        _ => v.clone(),
    }
}

/// Interpolates every value of a table.
pub(crate) fn interpolate_table<'src>(
    t: &DeTable<'src>,
    scope: &Scope<'_, 'src>,
    issues: &mut Issues<'_>,
) -> DeTable<'src> {
    let mut out = DeTable::new();
    for (k, item) in t.iter() {
        out.insert(k.clone(), interpolate(item, scope, issues));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        split(s)
            .expect("valid")
            .into_iter()
            .map(|p| match p {
                Piece::Text(t) => format!("T:{t}"),
                Piece::Ref(r) => format!("R:{r}"),
            })
            .collect()
    }

    #[test]
    fn splits_text_and_placeholders() {
        assert_eq!(texts("pipeline_${matrix.model}"), ["T:pipeline_", "R:matrix.model"]);
        assert_eq!(texts("${ vars.x }"), ["R:vars.x"]);
        assert_eq!(texts("a$${b}"), ["T:a", "T:${", "T:b}"]);
        assert!(split("${oops").is_err());
    }
}
