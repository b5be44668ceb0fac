//! A smoothed n-gram language model of token sequences, the sequence half of the anomaly
//! model.
//!
//! Sequences are padded with `order - 1` begin markers and one end marker, so the model also
//! learns which tokens start and end a sequence. Probabilities are additively smoothed
//! towards the next lower order (a Dirichlet prior centred on it), down to the uniform
//! distribution:
//!
//! `P_0(w) = 1 / A` and `P_k(w | h) = (c(h, w) + αA · P_{k-1}(w | h')) / (c(h) + αA)`,
//!
//! where `A` is the number of outcomes (the tokens plus the end marker), `h` the last `k - 1`
//! symbols and `h'` the last `k - 2`. For `k = 1` this is plain add-α smoothing, and an unseen
//! context (`c(h) = 0`) backs off to the lower order exactly, so every token, including one
//! never seen in training, keeps a positive probability.
//!
//! Counts are integers, so [`NgramModel::log_likelihood`] can also score a training sequence
//! as if it had been left out (its own counts subtracted): the scores used to fit the
//! anomaly model's calibration are then honest held-out scores, not optimistic ones.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Counts of every k-gram (k = 1 to `order`) of the padded training sequences.
#[derive(Debug, Clone, PartialEq)]
pub struct NgramModel {
    order: usize,
    /// Token symbols are `0..tokens`; `tokens` is the end marker and `tokens + 1` the begin
    /// marker (which only ever occurs in contexts).
    tokens: usize,
    smoothing: f64,
    /// Keyed by the context followed by the predicted symbol.
    counts: BTreeMap<Vec<usize>, u64>,
    /// Keyed by the context: the sum of the counts of the grams that extend it.
    context_totals: BTreeMap<Vec<usize>, u64>,
}

impl NgramModel {
    /// Counts the k-grams of `sequences`, whose symbols must be below `tokens`.
    ///
    /// `order` must be at least 1 and `smoothing` (α) positive; [`super::AnomalyParams`]
    /// guarantees both by construction.
    pub fn fit<'a>(
        order: usize,
        tokens: usize,
        smoothing: f64,
        sequences: impl IntoIterator<Item = &'a [usize]>,
    ) -> Self {
        let mut counts = BTreeMap::new();
        for sequence in sequences {
            for grams in Self::grams(order, tokens, sequence) {
                for gram in grams {
                    *counts.entry(gram).or_insert(0) += 1;
                }
            }
        }
        let context_totals = Self::totals(&counts);
        Self { order, tokens, smoothing, counts, context_totals }
    }

    /// Number of token symbols, the unknown-token symbol included.
    pub fn tokens(&self) -> usize {
        self.tokens
    }

    /// For each predicted position of the padded sequence (every token, then the end
    /// marker), the grams of order 1 to `order` that end there.
    fn grams(order: usize, tokens: usize, sequence: &[usize]) -> Vec<Vec<Vec<usize>>> {
        let begin = tokens + 1;
        let end = tokens;
        let mut padded = vec![begin; order - 1];
        padded.extend_from_slice(sequence);
        padded.push(end);
        (order - 1..padded.len())
            .map(|position| (1..=order).map(|k| padded[position + 1 - k..=position].to_vec()).collect())
            .collect()
    }

    fn totals(counts: &BTreeMap<Vec<usize>, u64>) -> BTreeMap<Vec<usize>, u64> {
        let mut totals = BTreeMap::new();
        for (gram, &count) in counts {
            *totals.entry(gram[..gram.len() - 1].to_vec()).or_insert(0) += count;
        }
        totals
    }

    /// Natural log of the probability of `sequence` (its tokens and the end marker).
    ///
    /// With `leave_out`, the sequence's own grams are subtracted from the counts first, which
    /// is exact for a sequence that was part of the training data and must not be used
    /// otherwise. Symbols at or above [`NgramModel::tokens`] are read as the last token
    /// symbol (the unknown token).
    pub fn log_likelihood(&self, sequence: &[usize], leave_out: bool) -> f64 {
        let outcomes = (self.tokens + 1) as f64;
        if self.counts.is_empty() {
            // Fitted on no sequences: every symbol has probability 1 / A at any order.
            return -((sequence.len() + 1) as f64) * outcomes.ln();
        }
        let unknown = self.tokens.saturating_sub(1);
        let sequence: Vec<usize> = sequence.iter().map(|&symbol| symbol.min(unknown)).collect();
        let grams = Self::grams(self.order, self.tokens, &sequence);
        let mut own_counts: BTreeMap<&[usize], u64> = BTreeMap::new();
        let mut own_totals: BTreeMap<&[usize], u64> = BTreeMap::new();
        if leave_out {
            for gram in grams.iter().flatten() {
                *own_counts.entry(gram).or_insert(0) += 1;
                *own_totals.entry(&gram[..gram.len() - 1]).or_insert(0) += 1;
            }
        }
        grams.iter().map(|position| self.probability(position, &own_counts, &own_totals).ln()).sum()
    }

    /// P(w | h) for the grams of one position (orders 1 to `order`, each ending in w), with
    /// `own_counts` and `own_totals` subtracted from the counts.
    fn probability(
        &self,
        grams: &[Vec<usize>],
        own_counts: &BTreeMap<&[usize], u64>,
        own_totals: &BTreeMap<&[usize], u64>,
    ) -> f64 {
        let outcomes = (self.tokens + 1) as f64;
        let prior = self.smoothing * outcomes;
        let mut probability = 1.0 / outcomes;
        for gram in grams {
            let context = &gram[..gram.len() - 1];
            let count =
                self.counts.get(gram).copied().unwrap_or(0) - own_counts.get(gram.as_slice()).copied().unwrap_or(0);
            let total =
                self.context_totals.get(context).copied().unwrap_or(0) - own_totals.get(context).copied().unwrap_or(0);
            probability = (count as f64 + prior * probability) / (total as f64 + prior);
        }
        probability
    }
}

/// The saved form: the settings and every nonzero count as `[gram, count]` pairs, in gram
/// order. Context totals are recomputed on loading.
#[derive(Serialize)]
struct SavedNgramRef<'a> {
    order: usize,
    tokens: usize,
    smoothing: f64,
    counts: Vec<(&'a [usize], u64)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedNgram {
    order: usize,
    tokens: usize,
    smoothing: f64,
    counts: Vec<(Vec<usize>, u64)>,
}

impl Serialize for NgramModel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SavedNgramRef {
            order: self.order,
            tokens: self.tokens,
            smoothing: self.smoothing,
            counts: self.counts.iter().map(|(gram, &count)| (gram.as_slice(), count)).collect(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for NgramModel {
    /// Accepts only counts that [`NgramModel::fit`] could have produced, so a loaded model's
    /// probabilities are proper and its totals cannot overflow.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;

        let saved = SavedNgram::deserialize(deserializer)?;
        if saved.order == 0 || saved.tokens == 0 || saved.tokens >= usize::MAX - 1 {
            return Err(D::Error::custom("n-gram order and token count must be at least 1"));
        }
        if !(saved.smoothing > 0.0 && saved.smoothing.is_finite()) {
            return Err(D::Error::custom("n-gram smoothing must be positive and finite"));
        }
        let begin = saved.tokens + 1;
        let mut counts = BTreeMap::new();
        let mut total: u64 = 0;
        for (gram, count) in saved.counts {
            let Some((&last, context)) = gram.split_last() else {
                return Err(D::Error::custom("n-gram counts include an empty gram"));
            };
            let valid =
                gram.len() <= saved.order && last < begin && context.iter().all(|&symbol| symbol <= begin) && count > 0;
            total = total.checked_add(count).ok_or_else(|| D::Error::custom("n-gram counts overflow"))?;
            if !valid || counts.insert(gram, count).is_some() {
                return Err(D::Error::custom("n-gram counts include an impossible or repeated gram"));
            }
        }
        // Every position of a fitted sequence yields a gram of the full order, so a longer
        // order than the longest gram cannot come from `fit` (and would only make scoring
        // allocate padding for nothing).
        let longest = counts.keys().map(Vec::len).max();
        if longest.is_some_and(|longest| saved.order > longest) {
            return Err(D::Error::custom("n-gram order exceeds the longest saved gram"));
        }
        let context_totals = NgramModel::totals(&counts);
        Ok(Self { order: saved.order, tokens: saved.tokens, smoothing: saved.smoothing, counts, context_totals })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(order: usize, smoothing: f64, sequences: &[&[usize]]) -> NgramModel {
        NgramModel::fit(order, 4, smoothing, sequences.iter().copied())
    }

    #[test]
    fn unigram_is_add_alpha_smoothing() {
        // Tokens 0..4 plus the end marker: 5 outcomes; two sequences give 3 + 2 tokens and
        // 2 end markers, so N = 7.
        let unigram = model(1, 0.5, &[&[0, 1, 1], &[2, 1]]);
        let expected = |count: f64| (count + 0.5) / (7.0 + 0.5 * 5.0);
        let log_likelihood = unigram.log_likelihood(&[1, 3], false);
        let exact = expected(3.0).ln() + expected(0.0).ln() + expected(2.0).ln();
        assert!((log_likelihood - exact).abs() < 1e-12, "{log_likelihood} vs {exact}");
    }

    #[test]
    fn bigram_backs_off_to_the_unigram() {
        // Padded: [B 0 1 1 E] and [B 2 1 E]. Unigram counts 0:1, 1:3, 2:1, E:2 (N = 7);
        // context B was seen twice (once before 0), context 0 once, context 3 never.
        let bigram = model(2, 0.5, &[&[0, 1, 1], &[2, 1]]);
        let prior = 0.5 * 5.0;
        let unigram = |count: f64| (count + 0.5) / (7.0 + prior);
        let begin_to_0 = (1.0 + prior * unigram(1.0)) / (2.0 + prior);
        let zero_to_3 = (0.0 + prior * unigram(0.0)) / (1.0 + prior);
        let three_to_end = unigram(2.0);
        let exact = begin_to_0.ln() + zero_to_3.ln() + three_to_end.ln();
        assert!((bigram.log_likelihood(&[0, 3], false) - exact).abs() < 1e-12);
    }

    #[test]
    fn probabilities_sum_to_one_over_all_outcomes() {
        let trigram = model(3, 0.2, &[&[0, 1, 2], &[0, 1, 3], &[2, 2, 2, 1]]);
        let begin = 5;
        let none = BTreeMap::new();
        for history in [[begin, begin], [begin, 0], [0, 1], [2, 2], [3, 3], [1, 4]] {
            let total: f64 = (0..=4)
                .map(|w| {
                    let grams = [vec![w], vec![history[1], w], vec![history[0], history[1], w]];
                    trigram.probability(&grams, &none, &none)
                })
                .sum();
            assert!((total - 1.0).abs() < 1e-12, "{history:?}: {total}");
        }
    }

    #[test]
    fn leaving_out_equals_refitting_without_the_sequence() {
        let sequences: [&[usize]; 4] = [&[0, 1, 2], &[0, 1, 3], &[2, 2, 2, 1], &[0, 1, 2]];
        let full = model(2, 0.1, &sequences);
        for (left_out, sequence) in sequences.iter().enumerate() {
            let rest: Vec<&[usize]> =
                sequences.iter().enumerate().filter(|&(i, _)| i != left_out).map(|(_, s)| *s).collect();
            let refit = model(2, 0.1, &rest);
            let held_out = full.log_likelihood(sequence, true);
            assert!((held_out - refit.log_likelihood(sequence, false)).abs() < 1e-12);
            assert!(held_out < full.log_likelihood(sequence, false));
        }
    }

    #[test]
    fn symbols_beyond_the_vocabulary_count_as_unknown() {
        let bigram = model(2, 0.5, &[&[0, 1]]);
        assert_eq!(bigram.log_likelihood(&[0, 9], false), bigram.log_likelihood(&[0, 3], false));
    }

    #[test]
    fn saved_form_round_trips_and_is_checked() -> Result<(), serde_json::Error> {
        let bigram = model(2, 0.5, &[&[0, 1], &[1]]);
        let json = serde_json::to_string(&bigram)?;
        assert_eq!(
            json,
            r#"{"order":2,"tokens":4,"smoothing":0.5,"counts":[[[0],1],[[0,1],1],[[1],2],[[1,4],2],[[4],2],[[5,0],1],[[5,1],1]]}"#
        );
        assert_eq!(serde_json::from_str::<NgramModel>(&json)?, bigram);
        let reject = |json: &str| serde_json::from_str::<NgramModel>(json).map(|_| ()).map_err(|e| e.to_string());
        assert!(reject(r#"{"order":2,"tokens":4,"smoothing":0.5,"counts":[[[0,1,2],1]]}"#).is_err());
        assert!(reject(r#"{"order":2,"tokens":4,"smoothing":0.5,"counts":[[[0,5],1]]}"#).is_err());
        assert!(reject(r#"{"order":2,"tokens":4,"smoothing":0.0,"counts":[]}"#).is_err());
        assert!(reject(r#"{"order":0,"tokens":4,"smoothing":0.5,"counts":[]}"#).is_err());
        assert!(reject(r#"{"order":9,"tokens":4,"smoothing":0.5,"counts":[[[0,1],1]]}"#).is_err());
        // A model fitted on no sequences keeps its order and scores uniformly.
        let empty: NgramModel = serde_json::from_str(r#"{"order":1000000000,"tokens":4,"smoothing":0.5,"counts":[]}"#)?;
        assert!((empty.log_likelihood(&[0, 1], false) - 3.0 * (0.2f64).ln()).abs() < 1e-12);
        Ok(())
    }
}
