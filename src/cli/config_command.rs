//! `nethical config`: the runner's settings as the layers merge them, and where each value
//! came from; and the defaults those settings give the other commands' flags.

use clap::Command as ClapCommand;
use serde_json::json;

use super::out::outln;
use crate::config::{Layered, OutputLevel, Settings};
use crate::error::Error;
use crate::exit_code;

/// `nethical config`.
#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    /// Print the settings as JSON (`{"key": {"value": ..., "source": ...}}`).
    #[arg(long)]
    pub json: bool,
}

/// The built-in defaults, for the keys that have one.
const BUILT_IN: [(&str, &str); 5] = [
    ("runs_dir", "runs"),
    ("cache_dir", ".nethical/cache"),
    ("link", "reflink,hardlink,copy"),
    ("executor", "the manifest's [executor] kind, else local"),
    ("output", "normal"),
];

/// Prints every setting, its value and its source.
pub fn show(args: &ConfigArgs, layered: &Layered) -> Result<i32, Error> {
    let s = &layered.settings;
    let rows: Vec<(&str, Option<String>)> = vec![
        ("runs_dir", s.runs_dir.as_ref().map(|p| p.display().to_string())),
        ("cache_dir", s.cache_dir.as_ref().map(|p| p.display().to_string())),
        ("jobs", s.jobs.map(|j| j.to_string())),
        ("link", s.link.as_ref().map(|l| words(l))),
        ("executor", s.executor.map(|e| word(&e))),
        ("output", s.output.map(|o| word(&o))),
        ("gc.keep_last", s.gc.as_ref().and_then(|g| g.keep_last).map(|k| k.to_string())),
        ("gc.older_than", s.gc.as_ref().and_then(|g| g.older_than.clone())),
    ];
    let shown: Vec<(&str, String, String)> = rows
        .into_iter()
        .map(|(key, value)| match value {
            Some(v) => (key, v, layered.source_of(key).unwrap_or_else(|| "default".to_owned())),
            None => {
                let default = BUILT_IN.iter().find(|(k, _)| *k == key).map_or("(unset)", |(_, v)| v);
                (key, default.to_owned(), "default".to_owned())
            }
        })
        .collect();
    if args.json {
        let map: serde_json::Map<String, serde_json::Value> =
            shown.iter().map(|(k, v, src)| ((*k).to_owned(), json!({"value": v, "source": src}))).collect();
        let text = serde_json::to_string_pretty(&json!({"settings": map, "files": layered.files}))
            .map_err(|e| Error::Internal(e.to_string()))?;
        outln!("{text}");
        return Ok(exit_code::OK);
    }
    for (key, value, source) in &shown {
        outln!("{key:<14} = {value:<40} ({source})");
    }
    outln!("flags given on a command line override every value above");
    Ok(exit_code::OK)
}

fn word<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn words<T: serde::Serialize>(v: &[T]) -> String {
    v.iter().map(word).collect::<Vec<_>>().join(",")
}

/// The command line with the settings as its flags' defaults, at every level of subcommands:
/// a flag given, or its own `NETHICAL_*` variable, still wins (clap prefers both to a default).
pub fn with_defaults(cmd: ClapCommand, s: &Settings) -> ClapCommand {
    let mut pairs: Vec<(&'static str, String)> = Vec::new();
    if let Some(p) = &s.runs_dir {
        pairs.push(("runs_dir", p.display().to_string()));
    }
    if let Some(p) = &s.cache_dir {
        pairs.push(("cache_dir", p.display().to_string()));
    }
    if let Some(j) = s.jobs {
        pairs.push(("jobs", j.to_string()));
    }
    if let Some(l) = &s.link {
        pairs.push(("link", words(l)));
    }
    if let Some(e) = s.executor {
        pairs.push(("executor", word(&e)));
    }
    if let Some(g) = &s.gc {
        if let Some(k) = g.keep_last {
            pairs.push(("keep_last", k.to_string()));
        }
        if let Some(a) = &g.older_than {
            pairs.push(("older_than", a.clone()));
        }
    }
    apply(cmd, &pairs)
}

fn apply(mut cmd: ClapCommand, pairs: &[(&'static str, String)]) -> ClapCommand {
    for (id, value) in pairs {
        if cmd.get_arguments().any(|a| a.get_id() == *id) {
            // clap keeps defaults as `&'static str`; one small string per setting per process.
            let value: &'static str = Box::leak(value.clone().into_boxed_str());
            cmd = cmd.mut_arg(*id, |a| a.default_value(value));
        }
    }
    let names: Vec<String> = cmd.get_subcommands().map(|c| c.get_name().to_owned()).collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, |sc| apply(sc, pairs));
    }
    cmd
}

/// The output level the settings ask for when no `-q`/`-v` was given.
pub fn output_flags(level: Option<OutputLevel>) -> (bool, u8) {
    match level {
        Some(OutputLevel::Quiet) => (true, 0),
        Some(OutputLevel::Verbose) => (false, 1),
        _ => (false, 0),
    }
}
