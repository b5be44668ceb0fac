//! A fitted binary regression tree: the unit a boosted model adds up.

use serde::{Deserialize, Serialize};

/// One node of a [`RegressionTree`], stored in a flat list with the root first.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TreeNode {
    /// Rows with `x[feature] <= threshold` continue at node `left`, the others at `right`
    /// (NaN, which compares false, goes right).
    Split { feature: usize, threshold: f64, left: usize, right: usize },
    /// The tree's output for rows that end here.
    Leaf { value: f64 },
}

/// A tree whose nodes are listed parents before children, so walking it always moves to a
/// higher index and ends.
///
/// Deserializing checks that ordering and that every number is finite, so a saved tree
/// cannot loop or index out of its node list; the feature indices are checked against the
/// model's width by the model that owns the tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "TreeFields")]
pub struct RegressionTree {
    nodes: Vec<TreeNode>,
}

/// The saved fields of a [`RegressionTree`], before their invariants are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TreeFields {
    nodes: Vec<TreeNode>,
}

impl TryFrom<TreeFields> for RegressionTree {
    type Error = &'static str;

    fn try_from(fields: TreeFields) -> Result<Self, Self::Error> {
        let nodes = fields.nodes;
        if nodes.is_empty() {
            return Err("a tree has no nodes");
        }
        for (index, node) in nodes.iter().enumerate() {
            match *node {
                TreeNode::Split { threshold, left, right, .. } => {
                    if !threshold.is_finite() {
                        return Err("a tree has a non-finite split threshold");
                    }
                    let child_ok = |child: usize| child > index && child < nodes.len();
                    if !child_ok(left) || !child_ok(right) {
                        return Err("a tree node points to a child that is not after it in the node list");
                    }
                }
                TreeNode::Leaf { value } => {
                    if !value.is_finite() {
                        return Err("a tree has a non-finite leaf value");
                    }
                }
            }
        }
        Ok(Self { nodes })
    }
}

impl RegressionTree {
    /// Builds a tree from nodes its builder laid out parents first.
    pub(super) fn from_nodes(nodes: Vec<TreeNode>) -> Self {
        debug_assert!(!nodes.is_empty());
        Self { nodes }
    }

    pub fn nodes(&self) -> &[TreeNode] {
        &self.nodes
    }

    /// Splits on the longest root-to-leaf path (0 for a single leaf). Children come after
    /// their parent, so one pass in node order settles every depth.
    pub fn depth(&self) -> usize {
        let mut depth = vec![0usize; self.nodes.len()];
        let mut deepest = 0;
        for (i, node) in self.nodes.iter().enumerate() {
            let here = depth[i];
            if let TreeNode::Split { left, right, .. } = *node {
                for child in [left, right] {
                    if let Some(d) = depth.get_mut(child) {
                        *d = here + 1;
                    }
                }
            }
            deepest = deepest.max(here);
        }
        deepest
    }

    /// The leaf value reached by a row whose feature `j` is `feature_value(j)`.
    #[inline]
    pub fn value(&self, feature_value: impl Fn(usize) -> f64) -> f64 {
        let mut index = 0;
        loop {
            match self.nodes[index] {
                TreeNode::Split { feature, threshold, left, right } => {
                    index = if feature_value(feature) <= threshold { left } else { right };
                }
                TreeNode::Leaf { value } => return value,
            }
        }
    }

    /// The largest feature index any split reads, if the tree splits at all.
    pub fn max_feature(&self) -> Option<usize> {
        self.nodes
            .iter()
            .filter_map(|node| match node {
                TreeNode::Split { feature, .. } => Some(*feature),
                TreeNode::Leaf { .. } => None,
            })
            .max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stump() -> RegressionTree {
        RegressionTree::from_nodes(vec![
            TreeNode::Split { feature: 1, threshold: 0.5, left: 1, right: 2 },
            TreeNode::Leaf { value: -1.0 },
            TreeNode::Leaf { value: 2.0 },
        ])
    }

    #[test]
    fn routes_rows_by_threshold() {
        let tree = stump();
        let row = |values: [f64; 2]| tree.value(|j| values[j]);
        assert_eq!(row([9.0, 0.5]), -1.0);
        assert_eq!(row([9.0, 0.6]), 2.0);
        assert_eq!(row([9.0, f64::NAN]), 2.0);
        assert_eq!(tree.max_feature(), Some(1));
    }

    #[test]
    fn round_trips_and_rejects_malformed_trees() -> Result<(), serde_json::Error> {
        let json = serde_json::to_string(&stump())?;
        assert_eq!(
            json,
            r#"{"nodes":[{"split":{"feature":1,"threshold":0.5,"left":1,"right":2}},{"leaf":{"value":-1.0}},{"leaf":{"value":2.0}}]}"#
        );
        assert_eq!(serde_json::from_str::<RegressionTree>(&json)?, stump());
        let parse = |json: &str| serde_json::from_str::<RegressionTree>(json).map_err(|e| e.to_string());
        assert_eq!(parse(r#"{"nodes":[]}"#), Err("a tree has no nodes".to_owned()));
        assert_eq!(
            parse(r#"{"nodes":[{"split":{"feature":0,"threshold":0.5,"left":0,"right":1}},{"leaf":{"value":1.0}}]}"#),
            Err("a tree node points to a child that is not after it in the node list".to_owned())
        );
        assert_eq!(
            parse(r#"{"nodes":[{"split":{"feature":0,"threshold":0.5,"left":1,"right":5}},{"leaf":{"value":1.0}}]}"#),
            Err("a tree node points to a child that is not after it in the node list".to_owned())
        );
        Ok(())
    }
}
