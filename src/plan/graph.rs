//! The instance graph as Graphviz DOT, Mermaid or JSON.

use serde::Serialize;

use super::Plan;

/// Output format of `nethical graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// A Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
    /// `{"nodes": [...], "edges": [[from, to], ...]}`.
    Json,
}

#[derive(Serialize)]
struct Node<'a> {
    id: &'a str,
    stage: &'a str,
    kind: &'a str,
    cohort: Option<&'a str>,
}

#[derive(Serialize)]
struct GraphJson<'a> {
    nodes: Vec<Node<'a>>,
    edges: Vec<[&'a str; 2]>,
}

fn edges(plan: &Plan) -> Vec<(usize, usize)> {
    plan.instances.iter().enumerate().flat_map(|(i, inst)| inst.deps.iter().map(move |&d| (d, i))).collect()
}

fn dot_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A quoted DOT label whose parts are on separate lines.
fn dot_label(lines: &[&str]) -> String {
    let parts: Vec<String> = lines.iter().map(|l| l.replace('\\', "\\\\").replace('"', "\\\"")).collect();
    format!("\"{}\"", parts.join("\\n"))
}

fn mermaid_label(s: &str) -> String {
    s.replace('"', "#quot;")
}

/// Renders the instance graph; edges point from an instance to those that need it.
pub fn render_graph(plan: &Plan, format: GraphFormat) -> String {
    match format {
        GraphFormat::Dot => {
            let mut out =
                format!("digraph {} {{\n  rankdir=LR;\n  node [shape=box];\n", dot_quote(&plan.pipeline.name));
            for inst in &plan.instances {
                out.push_str(&format!(
                    "  {} [label={}];\n",
                    dot_quote(inst.id()),
                    // Graphviz's line break is the escape `\n` inside the quoted label: quote the
                    // two parts, then join them, so the break itself is not escaped.
                    dot_label(&[inst.id(), &format!("({})", inst.decl.kind)])
                ));
            }
            for (a, b) in edges(plan) {
                out.push_str(&format!(
                    "  {} -> {};\n",
                    dot_quote(plan.instances[a].id()),
                    dot_quote(plan.instances[b].id())
                ));
            }
            out.push_str("}\n");
            out
        }
        GraphFormat::Mermaid => {
            let mut out = String::from("flowchart LR\n");
            for (i, inst) in plan.instances.iter().enumerate() {
                out.push_str(&format!(
                    "  n{i}[\"{}<br/><small>{}</small>\"]\n",
                    mermaid_label(inst.id()),
                    inst.decl.kind
                ));
            }
            for (a, b) in edges(plan) {
                out.push_str(&format!("  n{a} --> n{b}\n"));
            }
            out
        }
        GraphFormat::Json => {
            let doc = GraphJson {
                nodes: plan
                    .instances
                    .iter()
                    .map(|i| Node {
                        id: i.id(),
                        stage: &i.decl.stage,
                        kind: i.decl.kind.name(),
                        cohort: i.decl.cohort.as_deref(),
                    })
                    .collect(),
                edges: edges(plan).into_iter().map(|(a, b)| [plan.instances[a].id(), plan.instances[b].id()]).collect(),
            };
            serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
        }
    }
}
